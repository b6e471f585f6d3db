import { insertWithCommit, type DB } from '../db/database.js';
import type { LedgerRow } from '../db/schema.js';
import { iso } from '../time/clock.js';
import { ulid } from '../db/ids.js';

/** Storage of an organization's credits: its balance column and the ledger that explains it. */

type LedgerInput = { organizationId: string; kind: 'top-up' | 'debit'; amount: number; description: string; balanceAfter: number; idempotencyKey: string | null; now: Date };

function ledgerRow(input: LedgerInput): LedgerRow {
  return {
    id: ulid(input.now.getTime()), organization_id: input.organizationId, kind: input.kind, amount: input.amount,
    description: input.description, balance_after: input.balanceAfter, idempotency_key: input.idempotencyKey, created_at: iso(input.now),
  };
}

const LEDGER_COLUMNS = ['id', 'organization_id', 'kind', 'amount', 'description', 'balance_after', 'idempotency_key', 'created_at'] as const;
/** A debit's entry (no idempotency key, so no unique index to trip at COMMIT). */
const INSERT_DEBIT = insertWithCommit('credit_ledger', LEDGER_COLUMNS);

/** One ledger entry; the balance it reports must already be the organization's. */
export async function insertLedgerEntry(db: DB, input: LedgerInput): Promise<LedgerRow> {
  const entry = ledgerRow(input);
  await db.insertInto('credit_ledger').values(entry).execute();
  return entry;
}

/** Adds credits and their ledger entry; call inside a transaction so both commit together. */
export async function applyCredit(db: DB, input: { organizationId: string; amount: number; description: string; idempotencyKey: string | null; now: Date }): Promise<LedgerRow> {
  const updated = await db
    .updateTable('organizations')
    .set((eb) => ({ credit_balance: eb('credit_balance', '+', input.amount) }))
    .where('id', '=', input.organizationId)
    .returning('credit_balance')
    .executeTakeFirstOrThrow();
  return insertLedgerEntry(db, { ...input, kind: 'top-up', balanceAfter: updated.credit_balance });
}

/**
 * Debits credits atomically: the conditional update succeeds only while the balance covers
 * the cost, so parallel debits can never overdraw. Returns the balance after, or null when short.
 */
export async function debitCredits(db: DB, input: { organizationId: string; amount: number; description: string; now: Date }): Promise<number | null> {
  if (input.amount === 0) return 0;
  const updated = await db
    .updateTable('organizations')
    .set((eb) => ({ credit_balance: eb('credit_balance', '-', input.amount) }))
    .where('id', '=', input.organizationId)
    .where('credit_balance', '>=', input.amount)
    .returning('credit_balance')
    .executeTakeFirst();
  if (!updated) return null;
  // The entry's id is made now, after the balance row is locked, so ids follow the balances.
  const entry = ledgerRow({ ...input, kind: 'debit', amount: -input.amount, balanceAfter: updated.credit_balance, idempotencyKey: null });
  // Rides with the COMMIT on PostgreSQL: the balance row stays locked until then, and a round trip
  // of its own would lengthen every other debit's wait on it.
  await INSERT_DEBIT(db, LEDGER_COLUMNS.map((c) => entry[c]));
  return updated.credit_balance;
}

export async function creditBalance(db: DB, organizationId: string): Promise<number> {
  const row = await db.selectFrom('organizations').select('credit_balance').where('id', '=', organizationId).executeTakeFirst();
  return row?.credit_balance ?? 0;
}

/** The ledger entry an idempotency key already produced, if any. */
export async function ledgerEntryByKey(db: DB, organizationId: string, idempotencyKey: string): Promise<LedgerRow | undefined> {
  return db.selectFrom('credit_ledger').selectAll().where('organization_id', '=', organizationId).where('idempotency_key', '=', idempotencyKey).executeTakeFirst();
}

/** One keyset page (`limit + 1` rows, newest first) of an organization's ledger. */
export async function listLedger(db: DB, organizationId: string, cursor: string | null, limit: number): Promise<LedgerRow[]> {
  let q = db.selectFrom('credit_ledger').selectAll().where('organization_id', '=', organizationId).orderBy('id', 'desc').limit(limit + 1);
  if (cursor) q = q.where('id', '<', cursor);
  return q.execute();
}
