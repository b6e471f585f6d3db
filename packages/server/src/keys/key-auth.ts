import type { ParsedToken, Scope } from '@acct/shared';
import { sql } from 'kysely';
import type { AppDeps } from '../deps.js';
import { prepared } from '../db/prepared.js';
import { organizationCountColumn } from '../users/users.service.js';
import { HttpError } from '../http/http-error.js';
import { principal, type Carrier, type Principal } from '../auth/principal.js';
import { acceptSecret, LAST_USED_INTERVAL_MS, shouldRecordUse } from '../credentials/secret-credential.js';
// OAuth introspection checks a PAT's secret with it, as authentication does.
export { verifyWithGrace } from '../credentials/secret-credential.js';
import { recordUse } from '../credentials/secret-credential.repository.js';
import { cacheable } from '../auth/credential-cache.js';

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
 * Until when a key's answer may be cached: its expiry, the end of a rotation's grace period (the
 * token may be the previous secret), and the next write of its last use.
 */
export function keyCacheUntil(row: { expires_at: string | null; previous_expires_at: string | null }, lastUsed: number, now: Date): number {
  let until = lastUsed + LAST_USED_INTERVAL_MS;
  if (row.expires_at) until = Math.min(until, new Date(row.expires_at).getTime());
  if (row.previous_expires_at && new Date(row.previous_expires_at) > now) until = Math.min(until, new Date(row.previous_expires_at).getTime());
  return until;
}

/**
 * Resolves a PAT: the key and its owner in one read, a cached constant-time check after the first
 * Argon2 verification, then the key's status and the owner's. Both rows are read on every request,
 * so a revocation or a disabled account written by any instance is seen on the very next one.
 */
export async function authenticateKey(deps: AppDeps, token: ParsedToken, ip: string | null, carrier: Carrier): Promise<Principal> {
  const row = await keyWithOwner.first(deps.db, [token.lookupId]);
  if (!row) throw new HttpError('INVALID_TOKEN', 'The API key is invalid');
  const now = deps.clock.now();
  const {
    key_id: id, secret_hash, previous_secret_hash, previous_expires_at, key_scopes: scopes, key_organization_id: organizationId,
    key_enabled: enabled, key_expires_at: expires_at, key_revoked_at: revoked_at, key_created_at: createdAt, key_last_used_at: last_used_at, key_last_used_ip: last_used_ip,
    ...user
  } = row;
  const key = { secret_hash, previous_secret_hash, previous_expires_at, enabled, expires_at, revoked_at };
  await acceptSecret(deps.keyVerifier, { id, row: key, token, now, noun: 'API key' });
  // The owner as they are now: a disabled account stops its keys on the next request.
  if (!user.is_active) throw new HttpError('ACCOUNT_DISABLED');
  let last = last_used_at ? new Date(last_used_at).getTime() : 0;
  if (shouldRecordUse({ last_used_at, last_used_ip }, now, ip)) {
    // Bookkeeping must not fail or slow the request it describes.
    recordUse(deps.db, 'api_keys', id, now, ip).catch((err: unknown) => deps.logger.warn({ err }, 'could not record key use'));
    last = now.getTime();
  }
  return cacheable(
    principal({ kind: 'user', id: user.id, user }, { kind: 'pat', id, issuedAt: createdAt, carrier }, { scopes: parseScopes(scopes), organizationId }),
    { until: keyCacheUntil({ expires_at, previous_expires_at }, last, now), ip },
  );
}
