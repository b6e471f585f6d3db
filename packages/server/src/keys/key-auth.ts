import type { ParsedToken, Scope } from '@acct/shared';
import type { AppDeps } from '../deps.js';
import { prepared } from '../db/prepared.js';
import { userById } from '../users/users.service.js';
import { iso } from '../http/clock.js';
import { HttpError } from '../http/http-error.js';
import type { Principal } from '../auth/principal.js';
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

// Two unique-index point reads (the key, then its owner): on SQLite they cost a tenth of the
// equivalent join, and both queries are compiled once.
const keyByLookupId = prepared((db) =>
  db
    .selectFrom('api_keys')
    .select([
      'id', 'user_id', 'secret_hash', 'previous_secret_hash', 'previous_expires_at', 'scopes', 'organization_id', 'enabled',
      'expires_at', 'revoked_at', 'last_used_at', 'last_used_ip',
    ])
    .where('lookup_id', '=', ''),
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
 * Resolves a PAT: the key by its lookup id, a cached constant-time check after the first
 * Argon2 verification, its status, then its owner. Both rows are read on every request, so a
 * revocation or a disabled account written by any instance is seen on the very next one.
 */
export async function authenticateKey(deps: AppDeps, token: ParsedToken, ip: string | null): Promise<Principal> {
  const row = await keyByLookupId.first(deps.db, [token.lookupId]);
  if (!row) throw new HttpError('INVALID_TOKEN', 'The API key is invalid');
  const now = deps.clock.now();
  if (!(await verifyWithGrace(deps.keyVerifier, row.id, row, token, now))) throw new HttpError('INVALID_TOKEN', 'The API key is invalid');
  const status = keyStatus(row, now);
  if (status === 'revoked') throw new HttpError('INVALID_TOKEN', 'The API key has been revoked');
  if (status === 'expired') throw new HttpError('TOKEN_EXPIRED', 'The API key has expired');
  if (status === 'disabled') throw new HttpError('INVALID_TOKEN', 'The API key is disabled');
  // The owner as they are now: a disabled account stops its keys on the next request.
  const user = await userById.first(deps.db, [row.user_id]);
  if (!user) throw new HttpError('INVALID_TOKEN', 'The API key is invalid');
  if (!user.is_active) throw new HttpError('ACCOUNT_DISABLED');

  const last = row.last_used_at ? new Date(row.last_used_at).getTime() : 0;
  if (now.getTime() - last > LAST_USED_INTERVAL_MS || row.last_used_ip !== ip) {
    // Bookkeeping must not fail or slow the request it describes.
    deps.db.updateTable('api_keys').set({ last_used_at: iso(now), last_used_ip: ip }).where('id', '=', row.id)
      .execute().catch((err: unknown) => deps.logger.warn({ err }, 'could not record key use'));
  }
  return { user, credential: { kind: 'pat', keyId: row.id, scopes: parseScopes(row.scopes), organizationId: row.organization_id } };
}
