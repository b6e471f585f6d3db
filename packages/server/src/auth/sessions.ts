import { issueToken, type ParsedToken } from '@acct/shared';
import type { DB } from '../db/database.js';
import type { SessionRow, UserRow } from '../db/schema.js';
import { addSeconds, iso, type Clock } from '../http/clock.js';
import { HttpError } from '../http/http-error.js';
import { ulid } from '../http/ids.js';
import type { Config } from '../config.js';
import { sha256 } from './hashing.js';
import type { Principal } from './principal.js';

export interface NewSession {
  token: string;
  session: SessionRow;
}

/** Opens a session; only the SHA-256 of its token is stored. */
export async function createSession(
  db: DB, config: Config, clock: Clock,
  input: { userId: string; bearer: boolean; ip: string | null; userAgent: string | null },
): Promise<NewSession> {
  const now = clock.now();
  const token = issueToken(input.bearer ? 'bearerSession' : 'session').token;
  const absolute = addSeconds(now, config.sessionAbsoluteSeconds);
  const idle = addSeconds(now, config.sessionIdleSeconds);
  const session: SessionRow = {
    id: ulid(now.getTime()),
    user_id: input.userId,
    token_hash: sha256(token),
    kind: input.bearer ? 'bearer' : 'cookie',
    ip: input.ip,
    user_agent: input.userAgent ? input.userAgent.slice(0, 300) : null,
    created_at: iso(now),
    last_seen_at: iso(now),
    expires_at: iso(idle < absolute ? idle : absolute),
    absolute_expires_at: iso(absolute),
    revoked_at: null,
  };
  await db.insertInto('sessions').values(session).execute();
  return { token, session };
}

/** Seconds between two writes of a session's sliding expiry. */
const TOUCH_INTERVAL_MS = 60_000;

/** Resolves a session token (cookie or bearer) to its principal, sliding its idle expiry. */
export async function authenticateSession(db: DB, config: Config, clock: Clock, token: ParsedToken): Promise<Principal> {
  const row = await db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .selectAll('users')
    .select([
      'sessions.id as session_id', 'sessions.kind as session_kind', 'sessions.created_at as session_created_at',
      'sessions.last_seen_at as session_last_seen_at', 'sessions.expires_at as session_expires_at',
      'sessions.absolute_expires_at as session_absolute_expires_at', 'sessions.revoked_at as session_revoked_at',
    ])
    .where('sessions.token_hash', '=', sha256(token.token))
    .executeTakeFirst();
  const bearer = token.kind === 'bearerSession';
  if (!row || row.session_revoked_at || row.session_kind !== (bearer ? 'bearer' : 'cookie'))
    throw new HttpError('INVALID_TOKEN', 'The session is invalid or has ended; sign in again');
  const now = clock.now();
  if (new Date(row.session_expires_at) <= now) throw new HttpError('TOKEN_EXPIRED', 'The session has expired; sign in again');
  if (!row.is_active) throw new HttpError('ACCOUNT_DISABLED');
  if (now.getTime() - new Date(row.session_last_seen_at).getTime() > TOUCH_INTERVAL_MS) {
    const idle = addSeconds(now, config.sessionIdleSeconds);
    const absolute = new Date(row.session_absolute_expires_at);
    await db
      .updateTable('sessions')
      .set({ last_seen_at: iso(now), expires_at: iso(idle < absolute ? idle : absolute) })
      .where('id', '=', row.session_id)
      .execute();
  }
  const user: UserRow = {
    id: row.id, email: row.email, full_name: row.full_name, handle: row.handle, password_hash: row.password_hash,
    role: row.role, is_active: row.is_active, email_verified_at: row.email_verified_at, last_login_at: row.last_login_at,
    failed_sign_ins: row.failed_sign_ins, created_at: row.created_at, updated_at: row.updated_at,
  };
  return { user, credential: { kind: 'session', sessionId: row.session_id, bearer, createdAt: row.session_created_at } };
}

/** Ends sessions of a user; `except` keeps one (the caller's). Returns how many ended. */
export async function revokeSessions(db: DB, clock: Clock, userId: string, except?: string): Promise<number> {
  let q = db.updateTable('sessions').set({ revoked_at: iso(clock.now()) }).where('user_id', '=', userId).where('revoked_at', 'is', null);
  if (except) q = q.where('id', '!=', except);
  const result = await q.executeTakeFirst();
  return Number(result.numUpdatedRows);
}
