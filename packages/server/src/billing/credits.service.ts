import type { DB } from '../db/database.js';
import { isUniqueViolation } from '../db/errors.js';
import type { LedgerRow } from '../db/schema.js';
import { iso } from '../time/clock.js';
import { applyCredit, ledgerEntryByKey } from './credits.repository.js';
import { record } from '../audit/audit.js';

/** Credits in one place: the ledger's API shape, idempotent top-ups and billing periods (storage in credits.repository.ts). */

export function toLedgerEntry(row: LedgerRow) {
  return {
    id: row.id, kind: row.kind as 'top-up' | 'debit', amount: row.amount, description: row.description,
    balanceAfter: row.balance_after, createdAt: row.created_at,
  };
}

/**
 * Credits an organization once per idempotency key: the balance update and its ledger entry
 * commit together, and the unique (organization_id, idempotency_key) index makes a concurrent
 * twin fail and roll back, so it answers with the entry that won. `replayed` tells which.
 */
export async function creditOnce(
  db: DB,
  input: { organizationId: string; amount: number; description: string; idempotencyKey: string; now: Date },
): Promise<{ entry: LedgerRow; replayed: boolean }> {
  const key = input.idempotencyKey;
  try {
    return await db.transaction().execute(async (trx) => {
      const existing = await ledgerEntryByKey(trx, input.organizationId, key);
      if (existing) return { entry: existing, replayed: true };
      const entry = await applyCredit(trx, input);
      await record(trx, { now: input.now, action: 'payment.created', organizationId: input.organizationId, target: { type: 'payment', id: entry.id }, detail: { amount: entry.amount, description: entry.description, balanceAfter: entry.balance_after } });
      return { entry, replayed: false };
    });
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    const winner = await ledgerEntryByKey(db, input.organizationId, key);
    if (!winner) throw err;
    return { entry: winner, replayed: true };
  }
}

/** Billing periods run 30 days from the organization's creation (its billing anchor). */
export const BILLING_PERIOD_DAYS = 30;

/** Pure: the start of the billing period that contains `now`, for an organization created at `createdAt`. */
export function billingPeriodStart(createdAt: string, now: Date): string {
  const anchor = new Date(createdAt).getTime();
  const length = BILLING_PERIOD_DAYS * 86_400_000;
  const periods = Math.max(0, Math.floor((now.getTime() - anchor) / length));
  return iso(new Date(anchor + periods * length));
}
