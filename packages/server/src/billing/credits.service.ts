import type { DB } from '../db/database.js';
import { isUniqueViolation } from '../db/errors.js';
import type { LedgerRow } from '../db/schema.js';
import { iso } from '../time/clock.js';
import { ulid } from '../db/ids.js';
import { record } from '../audit/audit.js';

export function toLedgerEntry(row: LedgerRow) {
  return {
    id: row.id, kind: row.kind as 'top-up' | 'debit', amount: row.amount, description: row.description,
    balanceAfter: row.balance_after, createdAt: row.created_at,
  };
}

async function byKey(db: DB, organizationId: string, idempotencyKey: string): Promise<LedgerRow | undefined> {
  return db.selectFrom('credit_ledger').selectAll().where('organization_id', '=', organizationId).where('idempotency_key', '=', idempotencyKey).executeTakeFirst();
}

/** Adds credits and their ledger entry; call inside a transaction so both commit together. */
export async function applyCredit(db: DB, input: { organizationId: string; amount: number; description: string; idempotencyKey: string | null; now: Date }): Promise<LedgerRow> {
  const updated = await db
    .updateTable('organizations')
    .set((eb) => ({ credit_balance: eb('credit_balance', '+', input.amount) }))
    .where('id', '=', input.organizationId)
    .returning('credit_balance')
    .executeTakeFirstOrThrow();
  const entry: LedgerRow = {
    id: ulid(input.now.getTime()), organization_id: input.organizationId, kind: 'top-up', amount: input.amount,
    description: input.description, balance_after: updated.credit_balance, idempotency_key: input.idempotencyKey, created_at: iso(input.now),
  };
  await db.insertInto('credit_ledger').values(entry).execute();
  return entry;
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
      const existing = await byKey(trx, input.organizationId, key);
      if (existing) return { entry: existing, replayed: true };
      const entry = await applyCredit(trx, input);
      await record(trx, { now: input.now, action: 'payment.created', organizationId: input.organizationId, target: { type: 'payment', id: entry.id }, detail: { amount: entry.amount, description: entry.description, balanceAfter: entry.balance_after } });
      return { entry, replayed: false };
    });
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    const winner = await byKey(db, input.organizationId, key);
    if (!winner) throw err;
    return { entry: winner, replayed: true };
  }
}
