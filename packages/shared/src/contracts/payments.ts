import { Type } from '@sinclair/typebox';
import { defineRoute } from '../contract.js';
import { Id, ListQuery, Strict, Timestamp } from '../schemas.js';

/** One credit ledger entry: top-ups are positive, debits negative. */
export const LedgerEntry = Type.Object({
  id: Id,
  kind: Type.Union([Type.Literal('top-up'), Type.Literal('debit')]),
  amount: Type.Integer(),
  description: Type.String(),
  balanceAfter: Type.Integer(),
  createdAt: Timestamp,
});

/** The largest single top-up, so a typo cannot overflow a balance. */
export const MAX_TOP_UP = 1_000_000;

const base = '/api/user/organizations/:organizationId/payments';

export const listPayments = defineRoute({
  method: 'GET', path: base, tag: 'payments', auth: 'user', scope: 'payments:read', tenant: true,
  summary: "The organization's credit ledger, newest first", message: 'Payments fetched successfully',
  query: ListQuery, data: Type.Array(LedgerEntry),
});

export const createPayment = defineRoute({
  method: 'POST', path: base, tag: 'payments', auth: 'user', scope: 'payments:write', tenant: true,
  summary: 'Record a top-up; needs an Idempotency-Key header (a replay returns the first answer and credits nothing)',
  message: 'Credits added', status: 201,
  body: Strict({ amount: Type.Integer({ minimum: 1, maximum: MAX_TOP_UP }), description: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) }),
  data: Type.Object({ id: Id, amount: Type.Integer(), balanceAfter: Type.Integer() }),
});
