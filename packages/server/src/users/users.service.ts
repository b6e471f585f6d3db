import { randomInt } from 'node:crypto';
import { users } from '@acct/shared';
import type { ExpressionBuilder } from 'kysely';
import type { DB } from '../db/database.js';
import type { Database, UserRow } from '../db/schema.js';
import { prepared } from '../db/prepared.js';
import { HttpError } from '../http/http-error.js';

/** The account as the API shows it (seed 000's `GET /api/user/me`). */
export function toUser(row: UserRow, organizationCount: number) {
  return {
    id: row.id,
    email: row.email,
    fullName: row.full_name,
    handle: row.handle,
    isVerified: row.email_verified_at !== null,
    verifiedAt: row.email_verified_at,
    isActive: row.is_active === 1,
    lastLoginAt: row.last_login_at,
    role: row.role,
    organizationCount,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/**
 * The user's organization count as a column beside `users.*` (an index-only count): the reads
 * that authenticate a request carry it, so that /api/user/me needs no second statement.
 */
export function organizationCountColumn(eb: ExpressionBuilder<Database, 'users'>) {
  return eb.selectFrom('memberships').select(eb.fn.countAll<number>().as('n')).whereRef('memberships.user_id', '=', 'users.id').as('organization_count');
}

const countMemberships = prepared((db) => db.selectFrom('memberships').select((eb) => eb.fn.countAll<number>().as('n')).where('user_id', '=', ''));

export async function organizationCount(db: DB, userId: string): Promise<number> {
  const row = await countMemberships.first(db, [userId]);
  return Number(row?.n ?? 0);
}

/** The API view of a user; uses the count the authentication read already carries when it can. */
export async function userView(db: DB, row: UserRow & { organization_count?: number | null }) {
  return toUser(row, typeof row.organization_count === 'number' ? row.organization_count : await organizationCount(db, row.id));
}

/** The one email normalisation lives in @acct/shared (the CLI compares addresses too). */
export const checkEmail = users.checkEmail;

/** `checkEmail` for request input: the normalised address, or a VALIDATION_ERROR naming `field`. */
export function normalizeEmail(input: string, field = 'email'): string {
  const verdict = checkEmail(input);
  if (!verdict.ok) {
    const message = verdict.reason.replace(/^email/, field);
    throw new HttpError('VALIDATION_ERROR', message, [{ field, message }]);
  }
  return verdict.email;
}

/** `Your Name` → `yourname`; falls back to the email's local part. */
export function slugify(text: string, max = 32): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '')
    .slice(0, max);
}

/** A free handle derived from the name (or email), with digits appended when taken. */
export async function freeHandle(db: DB, name: string, email: string): Promise<string> {
  let base = slugify(name) || slugify(email.split('@')[0] ?? '') || 'user';
  if (base.length < 2) base = `${base}user`;
  for (let attempt = 0; attempt < 20; attempt++) {
    const candidate = attempt === 0 ? base : `${base.slice(0, 32)}${randomInt(10 ** Math.min(2 + attempt, 8))}`;
    const taken = await db.selectFrom('users').select('id').where('handle', '=', candidate).executeTakeFirst();
    if (!taken) return candidate;
  }
  return `${base.slice(0, 24)}${randomInt(1e9)}`;
}
