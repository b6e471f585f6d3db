import { issueToken, type ParsedToken } from '@acct/shared';
import type { DB } from '../db/database.js';
import type { SessionRow } from '../db/schema.js';
import { prepared } from '../db/prepared.js';
import { userById } from '../users/users.service.js';
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

const sessionByHash = prepared((db) => db.selectFrom('sessions').selectAll().where('token_hash', '=', ''));

/** Resolves a session token (cookie or bearer) to its principal, sliding its idle expiry. */
export async function authenticateSession(db: DB, config: Config, clock: Clock, token: ParsedToken): Promise<Principal> {
  const session = await sessionByHash.first(db, [sha256(token.token)]);
  const bearer = token.kind === 'bearerSession';
  if (!session || session.revoked_at || session.kind !== (bearer ? 'bearer' : 'cookie'))
    throw new HttpError('INVALID_TOKEN', 'The session is invalid or has ended; sign in again');
  const now = clock.now();
  if (new Date(session.expires_at) <= now) throw new HttpError('TOKEN_EXPIRED', 'The session has expired; sign in again');
  const user = await userById.first(db, [session.user_id]);
  if (!user) throw new HttpError('INVALID_TOKEN', 'The session is invalid or has ended; sign in again');
  if (!user.is_active) throw new HttpError('ACCOUNT_DISABLED');
  if (now.getTime() - new Date(session.last_seen_at).getTime() > TOUCH_INTERVAL_MS) {
    const idle = addSeconds(now, config.sessionIdleSeconds);
    const absolute = new Date(session.absolute_expires_at);
    await db
      .updateTable('sessions')
      .set({ last_seen_at: iso(now), expires_at: iso(idle < absolute ? idle : absolute) })
      .where('id', '=', session.id)
      .execute();
  }
  return { user, credential: { kind: 'session', sessionId: session.id, bearer, createdAt: session.created_at } };
}

/** Ends sessions of a user; `except` keeps one (the caller's). Returns how many ended. */
export async function revokeSessions(db: DB, clock: Clock, userId: string, except?: string): Promise<number> {
  let q = db.updateTable('sessions').set({ revoked_at: iso(clock.now()) }).where('user_id', '=', userId).where('revoked_at', 'is', null);
  if (except) q = q.where('id', '!=', except);
  const result = await q.executeTakeFirst();
  return Number(result.numUpdatedRows);
}
