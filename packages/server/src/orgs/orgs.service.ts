import { randomInt } from 'node:crypto';
import type { DB } from '../db/database.js';
import type { OrganizationRow } from '../db/schema.js';
import { iso } from '../time/clock.js';
import { ulid } from '../db/ids.js';
import { slugify } from '../users/users.service.js';
import type { Role } from '@acct/shared';
import { record } from '../audit/audit.js';

/** What a new organization starts with (API.md: free plan, included credits in the ledger). */
export const FREE_PLAN = { plan: 'free', seats: 5, includedCredits: 100 } as const;

/** Billing periods run 30 days from the organization's creation (its billing anchor). */
export const BILLING_PERIOD_DAYS = 30;

/** Pure: the start of the billing period that contains `now`, for an organization created at `createdAt`. */
export function billingPeriodStart(createdAt: string, now: Date): string {
  const anchor = new Date(createdAt).getTime();
  const length = BILLING_PERIOD_DAYS * 86_400_000;
  const periods = Math.max(0, Math.floor((now.getTime() - anchor) / length));
  return iso(new Date(anchor + periods * length));
}

export function toOrganization(row: OrganizationRow, role: Role) {
  return { id: row.id, name: row.name, slug: row.slug, role, createdAt: row.created_at, updatedAt: row.updated_at };
}

async function freeSlug(db: DB, wanted: string): Promise<string> {
  const base = slugify(wanted, 40) || 'org';
  for (let attempt = 0; attempt < 20; attempt++) {
    const candidate = attempt === 0 ? base : `${base}-${randomInt(10 ** Math.min(3 + attempt, 8))}`;
    const taken = await db.selectFrom('organizations').select('id').where('slug', '=', candidate).executeTakeFirst();
    if (!taken) return candidate;
  }
  return `${base}-${randomInt(1e9)}`;
}

/**
 * Creates an organization with its owner and its included credits as the first ledger entry.
 * Call inside a transaction when it is part of a larger write (sign-up).
 */
export async function createOrganization(db: DB, input: { name: string; slug?: string | undefined; ownerId: string; now: Date }) {
  const slug = input.slug ?? (await freeSlug(db, input.name));
  const row: OrganizationRow = {
    id: ulid(input.now.getTime()),
    name: input.name,
    slug,
    plan: FREE_PLAN.plan,
    seats: FREE_PLAN.seats,
    included_credits: FREE_PLAN.includedCredits,
    credit_balance: FREE_PLAN.includedCredits,
    credits_period_start: iso(input.now),
    credits_granted: FREE_PLAN.includedCredits,
    created_at: iso(input.now),
    updated_at: iso(input.now),
  };
  await db.insertInto('organizations').values(row).execute();
  await db.insertInto('memberships').values({ organization_id: row.id, user_id: input.ownerId, role: 'owner', created_at: iso(input.now) }).execute();
  await db
    .insertInto('credit_ledger')
    .values({
      id: ulid(input.now.getTime()), organization_id: row.id, kind: 'top-up', amount: FREE_PLAN.includedCredits,
      description: 'Included credits of the free plan', balance_after: FREE_PLAN.includedCredits, idempotency_key: null, created_at: iso(input.now),
    })
    .execute();
  await record(db, { now: input.now, action: 'organization.created', organizationId: row.id, userId: input.ownerId, target: { type: 'organization', id: row.id }, detail: { name: row.name, slug } });
  return row;
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
  await db
    .insertInto('credit_ledger')
    .values({
      id: ulid(input.now.getTime()), organization_id: input.organizationId, kind: 'debit', amount: -input.amount,
      description: input.description, balance_after: updated.credit_balance, idempotency_key: null, created_at: iso(input.now),
    })
    .execute();
  return updated.credit_balance;
}

export async function creditBalance(db: DB, organizationId: string): Promise<number> {
  const row = await db.selectFrom('organizations').select('credit_balance').where('id', '=', organizationId).executeTakeFirst();
  return row?.credit_balance ?? 0;
}
