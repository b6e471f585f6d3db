import { Router } from 'express';
import { ROUTES } from '@acct/shared';
import type { AppDeps } from '../deps.js';
import { bind, membershipOf } from '../http/bind.js';
import { HttpError } from '../http/http-error.js';
import { decodeCursor, page } from '../http/pagination.js';
import { listLedger } from './credits.repository.js';
import { creditOnce, toLedgerEntry } from './credits.service.js';

/** Printable ASCII, as Stripe and the IETF Idempotency-Key draft use it. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
const DEFAULT_DESCRIPTION = 'Top-up';

/** The credit ledger and top-ups (`…/organizations/:organizationId/payments`). */
export function paymentRoutes(deps: AppDeps, r: Router = Router()): Router {

  bind(r, deps, ROUTES.listPayments, async (ctx) => {
    const { organizationId } = membershipOf(ctx);
    const limit = ctx.query.limit ?? 20;
    const cursor = decodeCursor(ctx.query.cursor);
    const { items, pagination } = page(await listLedger(deps.db, organizationId, cursor, limit), limit);
    return { data: items.map(toLedgerEntry), pagination };
  });

  bind(r, deps, ROUTES.createPayment, async (ctx) => {
    const { organizationId } = membershipOf(ctx);
    const key = ctx.req.get('idempotency-key');
    if (key === undefined || !IDEMPOTENCY_KEY.test(key)) {
      const message = key === undefined ? 'The Idempotency-Key header is required' : 'Idempotency-Key must be 1 to 255 printable ASCII characters';
      throw new HttpError('VALIDATION_ERROR', message, [{ field: 'Idempotency-Key', message }]);
    }
    const amount = ctx.body.amount;
    const description = ctx.body.description?.trim() || DEFAULT_DESCRIPTION;
    const { entry, replayed } = await creditOnce(deps.db, { organizationId, amount, description, idempotencyKey: key, now: deps.clock.now() });
    if (replayed) {
      // Same key, different request: refusing is the only answer that cannot double-charge or lose one.
      if (entry.kind !== 'top-up' || entry.amount !== amount || entry.description !== description)
        throw new HttpError('CONFLICT', 'This Idempotency-Key was already used for a different request', [{ field: 'Idempotency-Key', message: 'already used with another body' }]);
      ctx.res.setHeader('Idempotent-Replayed', 'true');
    }
    return { data: { id: entry.id, amount: entry.amount, balanceAfter: entry.balance_after } };
  });

  return r;
}
