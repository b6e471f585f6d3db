import { issueToken, type ParsedToken } from '@acct/shared';
import { sql } from 'kysely';
import type { DB } from '../db/database.js';
import type { SessionRow } from '../db/schema.js';
import { prepared } from '../db/prepared.js';
import { organizationCountColumn } from '../users/users.service.js';
import { addSeconds, iso, type Clock } from '../time/clock.js';
import { HttpError } from '../http/http-error.js';
import { ulid } from '../db/ids.js';
import type { Config } from '../config.js';
import { sha256 } from './hashing.js';
import { principal, type Carrier, type Principal } from './principal.js';
import { cacheable } from './credential-cache.js';

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
    reauthenticated_at: null,
  };
  await db.insertInto('sessions').values(session).execute();
  return { token, session };
}

/** Seconds between two writes of a session's sliding expiry. */
const TOUCH_INTERVAL_MS = 60_000;

/**
 * A session and its user in one statement (see `keyWithOwner` in keys/key-auth.ts for why the
 * parameter is wrapped in a CAST).
 */
const sessionWithUser = prepared((db) =>
  db
    .selectFrom('sessions as s')
    .innerJoin('users', 'users.id', 's.user_id')
    .selectAll('users')
    .select((eb) => [
      's.id as session_id', 's.kind as session_kind', 's.created_at as session_created_at', 's.last_seen_at as session_last_seen_at',
      's.expires_at as session_expires_at', 's.absolute_expires_at as session_absolute_expires_at', 's.revoked_at as session_revoked_at',
      organizationCountColumn(eb),
    ])
    .where('s.token_hash', '=', sql<string>`cast(${''} as text)`),
);

/** Resolves a session token (cookie or bearer) to its principal, sliding its idle expiry. */
export async function authenticateSession(db: DB, config: Config, clock: Clock, token: ParsedToken, carrier: Carrier): Promise<Principal> {
  const row = await sessionWithUser.first(db, [sha256(token.token)]);
  const bearer = token.kind === 'bearerSession';
  if (!row || row.session_revoked_at || row.session_kind !== (bearer ? 'bearer' : 'cookie'))
    throw new HttpError('INVALID_TOKEN', 'The session is invalid or has ended; sign in again');
  const {
    session_id: sessionId, session_kind: _kind, session_created_at: createdAt, session_last_seen_at: lastSeenAt,
    session_expires_at: expiresAt, session_absolute_expires_at: absoluteExpiresAt, session_revoked_at: _revokedAt, ...user
  } = row;
  const now = clock.now();
  if (new Date(expiresAt) <= now) throw new HttpError('TOKEN_EXPIRED', 'The session has expired; sign in again');
  if (!user.is_active) throw new HttpError('ACCOUNT_DISABLED');
  let seen = new Date(lastSeenAt).getTime();
  let until = new Date(expiresAt).getTime();
  if (now.getTime() - seen > TOUCH_INTERVAL_MS) {
    const idle = addSeconds(now, config.sessionIdleSeconds);
    const absolute = new Date(absoluteExpiresAt);
    const expires = idle < absolute ? idle : absolute;
    await db
      .updateTable('sessions')
      .set({ last_seen_at: iso(now), expires_at: iso(expires) })
      .where('id', '=', sessionId)
      .execute();
    seen = now.getTime();
    until = expires.getTime();
  }
  // Cached until it expires or its sliding expiry is due for its next write.
  return cacheable(
    principal({ kind: 'user', id: user.id, user }, { kind: 'session', id: sessionId, issuedAt: createdAt, carrier }, { scopes: 'all', interactive: true }),
    { until: Math.min(until, seen + TOUCH_INTERVAL_MS) },
  );
}

/** Ends sessions of a user; `except` keeps one (the caller's). Returns how many ended. */
export async function revokeSessions(db: DB, clock: Clock, userId: string, except?: string): Promise<number> {
  let q = db.updateTable('sessions').set({ revoked_at: iso(clock.now()) }).where('user_id', '=', userId).where('revoked_at', 'is', null);
  if (except) q = q.where('id', '!=', except);
  const result = await q.executeTakeFirst();
  return Number(result.numUpdatedRows);
}
