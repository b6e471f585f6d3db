import { randomInt } from 'node:crypto';
import type { AppDeps } from '../deps.js';
import type { DB } from '../db/database.js';
import { isUniqueViolation } from '../db/errors.js';
import type { OrganizationRow } from '../db/schema.js';
import { iso } from '../time/clock.js';
import { ulid } from '../db/ids.js';
import { slugify } from '../users/users.service.js';
import type { Role } from '@acct/shared';
import { insertLedgerEntry } from '../billing/credits.repository.js';
import { HttpError } from '../http/http-error.js';
import { findOrganization, insertOrganization, slugTaken } from './orgs.repository.js';
import { record } from '../audit/audit.js';

/** What a new organization starts with (API.md: free plan, included credits in the ledger). */
export const FREE_PLAN = { plan: 'free', seats: 5, includedCredits: 100 } as const;

export function toOrganization(row: OrganizationRow, role: Role) {
  return { id: row.id, name: row.name, slug: row.slug, role, createdAt: row.created_at, updatedAt: row.updated_at };
}

async function freeSlug(db: DB, wanted: string): Promise<string> {
  const base = slugify(wanted, 40) || 'org';
  for (let attempt = 0; attempt < 20; attempt++) {
    const candidate = attempt === 0 ? base : `${base}-${randomInt(10 ** Math.min(3 + attempt, 8))}`;
    if (!(await slugTaken(db, candidate))) return candidate;
  }
  return `${base}-${randomInt(1e9)}`;
}

/** The one place an organization is loaded for a member, or 404. */
export async function loadOrganization(db: DB, id: string): Promise<OrganizationRow> {
  const row = await findOrganization(db, id);
  if (!row) throw new HttpError('NOT_FOUND', 'No such organization');
  return row;
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
  await insertOrganization(db, row, input.ownerId);
  await insertLedgerEntry(db, {
    organizationId: row.id, kind: 'top-up', amount: FREE_PLAN.includedCredits, description: 'Included credits of the free plan',
    balanceAfter: FREE_PLAN.includedCredits, idempotencyKey: null, now: input.now,
  });
  await record(db, { now: input.now, action: 'organization.created', organizationId: row.id, userId: input.ownerId, target: { type: 'organization', id: row.id }, detail: { name: row.name, slug } });
  return row;
}

/**
 * Creates an organization a user asked for, with them as owner. A slug derived from the name
 * can be taken by a concurrent creation between pick and insert: pick again. A slug the caller
 * chose is theirs to change: CONFLICT at once.
 */
export async function createOwnOrganization(deps: AppDeps, input: { name: string; slug?: string | undefined; ownerId: string }): Promise<OrganizationRow> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await deps.db.transaction().execute((trx) => createOrganization(trx, { ...input, now: deps.clock.now() }));
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      if (input.slug !== undefined || attempt >= 5) throw new HttpError('CONFLICT', 'That slug is taken', [{ field: 'slug', message: 'slug is taken' }]);
    }
  }
}
