import { randomBytes } from 'node:crypto';
import type { AppDeps } from '../deps.js';
import type { UserRow } from '../db/schema.js';
import { iso } from '../time/clock.js';
import { HttpError } from '../http/http-error.js';
import { hashPassword } from '../auth/hashing.js';
import { sendPasswordReset } from '../auth/auth.service.js';
import { revokeSessions } from '../auth/sessions.js';
import { normalizeEmail } from '../users/users.service.js';
import { record, type AuditActor } from '../audit/audit.js';

/** `acct-server admin grant|revoke` is run by whoever operates the server: no account, no credential. */
const SERVER_COMMAND: AuditActor = { type: 'anonymous', id: null, credentialKind: 'server-command', credentialId: null };

/** Platform admins (`users.role = 'admin'`), made by `acct-server admin grant EMAIL`. */
export function isPlatformAdmin(user: Pick<UserRow, 'role'>): boolean {
  return user.role === 'admin';
}

export function requirePlatformAdmin(user: Pick<UserRow, 'role'>): void {
  if (!isPlatformAdmin(user)) throw new HttpError('FORBIDDEN', 'Only platform admins may do this');
}

export function toAdminUser(row: UserRow) {
  return {
    id: row.id, email: row.email, fullName: row.full_name, role: row.role, isActive: row.is_active === 1,
    isVerified: row.email_verified_at !== null, lastLoginAt: row.last_login_at, createdAt: row.created_at,
  };
}

/** Accounts whose email or name contains `q` (case-insensitive), newest first, cursor by id. */
export async function searchUsers(deps: AppDeps, input: { q?: string | undefined; limit: number; cursor: string | null }): Promise<UserRow[]> {
  let q = deps.db.selectFrom('users').selectAll().orderBy('id', 'desc').limit(input.limit + 1);
  const text = input.q?.trim().toLowerCase();
  if (text) {
    const like = `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    q = q.where((eb) => eb.or([eb('email', 'like', like), eb(eb.fn('lower', ['full_name']), 'like', like)]));
  }
  if (input.cursor) q = q.where('id', '<', input.cursor);
  return q.execute();
}

async function target(deps: AppDeps, userId: string): Promise<UserRow> {
  const row = await deps.db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirst();
  if (!row) throw new HttpError('NOT_FOUND', 'No such user');
  return row;
}

/**
 * Disables or enables an account. Disabling ends its sessions, and its keys stop on their next
 * request (key-auth reads the owner's `is_active` on every call, on every instance).
 */
export async function setActive(deps: AppDeps, admin: UserRow, userId: string, active: boolean): Promise<{ user: UserRow; revokedSessions: number }> {
  requirePlatformAdmin(admin);
  if (!active && userId === admin.id) throw new HttpError('FORBIDDEN', 'You cannot disable your own account');
  await target(deps, userId);
  const at = deps.clock.now();
  const now = iso(at);
  const revokedSessions = await deps.db.transaction().execute(async (trx) => {
    await trx.updateTable('users').set({ is_active: active ? 1 : 0, updated_at: now }).where('id', '=', userId).execute();
    const ended = active ? 0 : await revokeSessions(trx, deps.clock, userId);
    // The admin acts (the request's actor); the row is in the account's own log, which is what changed.
    await record(trx, { now: at, action: active ? 'admin.user_enabled' : 'admin.user_disabled', userId, target: { type: 'user', id: userId }, detail: { adminId: admin.id, ...(active ? {} : { revokedSessions: ended }) } });
    return ended;
  });
  deps.logger.info({ adminId: admin.id, userId, active }, active ? 'admin enabled an account' : 'admin disabled an account');
  return { user: await target(deps, userId), revokedSessions };
}

/**
 * Forces a password reset: the password is replaced by a random one nobody knows, every session
 * ends, and a reset link goes to the account's address. Keys keep working (CI survives), as after
 * a reset without `revokeKeys`; an admin who suspects more disables the account.
 */
export async function forcePasswordReset(deps: AppDeps, admin: UserRow, userId: string): Promise<{ user: UserRow; revokedSessions: number }> {
  requirePlatformAdmin(admin);
  const user = await target(deps, userId);
  const hash = await hashPassword(randomBytes(32).toString('base64url'));
  const at = deps.clock.now();
  const now = iso(at);
  const revokedSessions = await deps.db.transaction().execute(async (trx) => {
    await trx.updateTable('users').set({ password_hash: hash, updated_at: now }).where('id', '=', userId).execute();
    const ended = await revokeSessions(trx, deps.clock, userId);
    await record(trx, { now: at, action: 'admin.password_reset_forced', userId, target: { type: 'user', id: userId }, detail: { adminId: admin.id, revokedSessions: ended } });
    return ended;
  });
  if (user.is_active) sendPasswordReset(deps, user);
  deps.logger.info({ adminId: admin.id, userId }, 'admin forced a password reset');
  return { user: await target(deps, userId), revokedSessions };
}

/** `acct-server admin grant EMAIL`: the first platform admin (and any later one). */
export async function grantAdmin(deps: Pick<AppDeps, 'db' | 'clock'>, email: string, grant: boolean): Promise<boolean> {
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    const user = await trx.selectFrom('users').select(['id', 'role']).where('email', '=', normalizeEmail(email)).executeTakeFirst();
    if (!user) return false;
    await trx.updateTable('users').set({ role: grant ? 'admin' : 'user', updated_at: iso(now) }).where('id', '=', user.id).execute();
    await record(trx, {
      now, actor: SERVER_COMMAND, action: grant ? 'admin.granted' : 'admin.revoked', userId: user.id, target: { type: 'user', id: user.id },
      detail: { via: `acct-server admin ${grant ? 'grant' : 'revoke'}`, previousRole: user.role },
    });
    return true;
  });
}
