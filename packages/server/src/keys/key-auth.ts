import type { ParsedToken, Scope } from '@acct/shared';
import { sql } from 'kysely';
import type { AppDeps } from '../deps.js';
import { prepared } from '../db/prepared.js';
import { organizationCountColumn } from '../users/users.service.js';
import { iso } from '../time/clock.js';
import { HttpError } from '../http/http-error.js';
import { principal, type Carrier, type Principal } from '../auth/principal.js';
import { keyStatus } from './keys.service.js';

/** Seconds between two writes of a key's last use (and on every change of IP). */
export const LAST_USED_INTERVAL_MS = 60_000;

interface Secrets {
  secret_hash: string;
  previous_secret_hash: string | null;
  previous_expires_at: string | null;
}

/** Checks a token against a key's secret, or its previous secret while a rotation's grace period runs. */
export async function verifyWithGrace(verifier: AppDeps['keyVerifier'], cacheKey: string, row: Secrets, token: ParsedToken, now: Date): Promise<boolean> {
  if (await verifier.verify(cacheKey, row.secret_hash, token)) return true;
  if (row.previous_secret_hash && row.previous_expires_at && new Date(row.previous_expires_at) > now) {
    return verifier.verify(`${cacheKey}:previous`, row.previous_secret_hash, token);
  }
  return false;
}

/**
 * A key and its owner in one statement: two unique-index point reads (the key by lookup id, the
 * owner by id) and the owner's index-only organization count, compiled once.
 *
 * The lookup id is bound as `CAST(? AS TEXT)`, not a bare `?`: better-sqlite3's SQLite is built
 * with SQLITE_ENABLE_STAT4, under which a join whose WHERE compares an indexed column with a bare
 * parameter is re-planned every time a value is bound (about 5x the cost of the reads themselves).
 * An expression around the parameter keeps one plan; the index is used all the same.
 */
const keyWithOwner = prepared((db) =>
  db
    .selectFrom('api_keys as k')
    .innerJoin('users', 'users.id', 'k.user_id')
    .selectAll('users')
    .select((eb) => [
      'k.id as key_id', 'k.secret_hash', 'k.previous_secret_hash', 'k.previous_expires_at', 'k.scopes as key_scopes',
      'k.organization_id as key_organization_id', 'k.enabled as key_enabled', 'k.expires_at as key_expires_at',
      'k.revoked_at as key_revoked_at', 'k.created_at as key_created_at', 'k.last_used_at as key_last_used_at', 'k.last_used_ip as key_last_used_ip',
      organizationCountColumn(eb),
    ])
    .where('k.lookup_id', '=', sql<string>`cast(${''} as text)`),
);

const scopeSets = new Map<string, ReadonlySet<Scope>>();
/** Scope lists repeat across requests: parse each distinct one once. */
export function parseScopes(json: string): ReadonlySet<Scope> {
  let set = scopeSets.get(json);
  if (!set) {
    set = new Set(JSON.parse(json) as Scope[]);
    if (scopeSets.size < 10_000) scopeSets.set(json, set);
  }
  return set;
}

/**
 * Resolves a PAT: the key and its owner in one read, a cached constant-time check after the first
 * Argon2 verification, then the key's status and the owner's. Both rows are read on every request,
 * so a revocation or a disabled account written by any instance is seen on the very next one.
 */
export async function authenticateKey(deps: AppDeps, token: ParsedToken, ip: string | null, carrier: Carrier): Promise<Principal> {
  const row = await keyWithOwner.first(deps.db, [token.lookupId]);
  if (!row) throw new HttpError('INVALID_TOKEN', 'The API key is invalid');
  const {
    key_id: id, secret_hash, previous_secret_hash, previous_expires_at, key_scopes: scopes, key_organization_id: organizationId,
    key_enabled: enabled, key_expires_at: expires_at, key_revoked_at: revoked_at, key_created_at: createdAt, key_last_used_at: lastUsedAt, key_last_used_ip: lastUsedIp,
    ...user
  } = row;
  const now = deps.clock.now();
  if (!(await verifyWithGrace(deps.keyVerifier, id, { secret_hash, previous_secret_hash, previous_expires_at }, token, now)))
    throw new HttpError('INVALID_TOKEN', 'The API key is invalid');
  const status = keyStatus({ enabled, expires_at, revoked_at }, now);
  if (status === 'revoked') throw new HttpError('INVALID_TOKEN', 'The API key has been revoked');
  if (status === 'expired') throw new HttpError('TOKEN_EXPIRED', 'The API key has expired');
  if (status === 'disabled') throw new HttpError('INVALID_TOKEN', 'The API key is disabled');
  // The owner as they are now: a disabled account stops its keys on the next request.
  if (!user.is_active) throw new HttpError('ACCOUNT_DISABLED');

  const last = lastUsedAt ? new Date(lastUsedAt).getTime() : 0;
  if (now.getTime() - last > LAST_USED_INTERVAL_MS || lastUsedIp !== ip) {
    // Bookkeeping must not fail or slow the request it describes.
    deps.db.updateTable('api_keys').set({ last_used_at: iso(now), last_used_ip: ip }).where('id', '=', id)
      .execute().catch((err: unknown) => deps.logger.warn({ err }, 'could not record key use'));
  }
  return principal({ kind: 'user', id: user.id, user }, { kind: 'pat', id, issuedAt: createdAt, carrier }, { scopes: parseScopes(scopes), organizationId });
}
