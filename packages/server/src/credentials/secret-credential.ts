import { issueToken, type ParsedToken, type TokenKind } from '@acct/shared';
import type { KeyVerifier } from '../keys/key-verifier.js';
import { addSeconds, iso } from '../time/clock.js';
import { HttpError } from '../http/http-error.js';
import { argon2Hash } from '../auth/hashing.js';

/**
 * One long-lived secret credential (a PAT, a team key; later OAuth refresh tokens and client
 * secrets): a token `<prefix><lookup id><secret><checksum>` (format in @acct/shared tokens.ts)
 * of which only an Argon2id hash is stored, found by its lookup id, verified in constant time
 * (a keyed-digest cache after the first Argon2 verify), rotated under the same id with an
 * optional grace period for the previous secret, revoked for good, optionally expiring.
 * These are the columns every such table has; storage is in secret-credential.repository.ts.
 */
export interface SecretCredentialColumns {
  id: string;
  lookup_id: string;
  start: string;
  secret_hash: string;
  previous_secret_hash: string | null;
  previous_expires_at: string | null;
  expires_at: string | null;
  revoked_at: string | null;
  rotated_at: string | null;
  last_used_at: string | null;
  last_used_ip: string | null;
  updated_at: string;
}

/** The token kinds stored this way: every kind but sessions and mailed links (SHA-256 rows, no rotation). */
export type SecretKind = Exclude<TokenKind, 'session' | 'bearerSession' | 'emailLink'>;

export type SecretStatus = 'active' | 'expired' | 'revoked' | 'disabled';

/**
 * Pure: a credential's status at `now`. Revocation wins over expiry, expiry over disabling;
 * a credential without an `enabled` flag (team keys) is never disabled.
 */
export function secretStatus(row: { revoked_at: string | null; expires_at: string | null; enabled?: number }, now: Date): SecretStatus {
  if (row.revoked_at) return 'revoked';
  if (row.expires_at && new Date(row.expires_at) <= now) return 'expired';
  if (row.enabled === 0) return 'disabled';
  return 'active';
}

/** Pure: when the previous secret stops, while its grace period still runs (API views show it). */
export function graceEndsAt(row: { previous_expires_at: string | null }, now: Date): string | null {
  return row.previous_expires_at && new Date(row.previous_expires_at) > now ? row.previous_expires_at : null;
}

/** The visible start of a token (`ba_AbCd`): enough to recognise it in a list, never to use it. */
export function tokenStart(token: string): string {
  return token.slice(0, 7);
}

/** A new credential's token and the columns that store it; the plain token exists only in the result. */
export async function mintSecret(kind: SecretKind, now: Date, expiresIn?: number | null) {
  const token = issueToken(kind);
  const columns = {
    lookup_id: token.lookupId,
    start: tokenStart(token.token),
    secret_hash: await argon2Hash(token.token),
    expires_at: expiresIn ? iso(addSeconds(now, expiresIn)) : null,
    revoked_at: null,
    last_used_at: null,
    last_used_ip: null,
    previous_secret_hash: null,
    previous_expires_at: null,
    rotated_at: null,
  };
  return { token: token.token, columns };
}

/**
 * Pure but for the hash: the new secret of a credential (same lookup id) and the columns a
 * rotation writes. With a grace period the current secret becomes the previous one until then;
 * with 0 there is no previous secret, so the old one stops at once.
 */
export async function rotation(
  kind: SecretKind,
  row: { lookup_id: string; secret_hash: string },
  gracePeriod: number,
  now: Date,
  clock?: { now(): Date },
) {
  const token = issueToken(kind, row.lookup_id);
  const secretHash = await argon2Hash(token.token);
  // Stamped after the (slow) hash, just before the write: rotations that arrived before it raced this one.
  const at = clock ? clock.now() : now;
  const changes = {
    secret_hash: secretHash,
    start: tokenStart(token.token),
    previous_secret_hash: gracePeriod > 0 ? row.secret_hash : null,
    previous_expires_at: gracePeriod > 0 ? iso(addSeconds(at, gracePeriod)) : null,
    rotated_at: iso(at),
    updated_at: iso(at),
  };
  return { token, changes };
}

/**
 * True when another rotation of the credential was written after this request arrived: the two
 * raced (the other one merely reached the database first), so this one must not issue a secret
 * too. A rotation sent after the previous one answered arrives after its `rotated_at` and proceeds.
 */
export function rotatedSince(row: { rotated_at: string | null }, arrivedAt: Date): boolean {
  return row.rotated_at !== null && row.rotated_at > iso(arrivedAt);
}

/** The answer to the losers of parallel rotations (or a rotation racing a revocation). */
export const ROTATED_MEANWHILE = () =>
  new HttpError('CONFLICT', 'The key was rotated or revoked by another request meanwhile: no new secret was issued; read the key and try again');

/** Refuses to rotate a credential that can never work again. */
export function assertRotatable(row: { revoked_at: string | null; expires_at: string | null; rotated_at: string | null; enabled?: number }, now: Date, arrivedAt: Date): void {
  const status = secretStatus(row, now);
  if (status === 'revoked' || status === 'expired') throw new HttpError('CONFLICT', `A ${status} key cannot be rotated; create a new one`);
  if (rotatedSince(row, arrivedAt)) throw ROTATED_MEANWHILE();
}

/** The keys under which the verifier caches a credential's current and previous secret. */
export function verifierKeys(id: string): [string, string] {
  return [id, `${id}:previous`];
}

/** Drops what the verifier remembers of a credential after its secrets changed. */
export function forgetSecrets(verifier: KeyVerifier, id: string): void {
  for (const key of verifierKeys(id)) verifier.forget(key);
}

type Secrets = Pick<SecretCredentialColumns, 'secret_hash' | 'previous_secret_hash' | 'previous_expires_at'>;

/** Which of a credential's secrets a token is: the current one, the previous one while a rotation's grace period runs, or neither (null). */
export async function matchSecret(verifier: KeyVerifier, id: string, row: Secrets, token: ParsedToken, now: Date): Promise<'current' | 'previous' | null> {
  const [current, previous] = verifierKeys(id);
  if (await verifier.verify(current, row.secret_hash, token)) return 'current';
  if (row.previous_secret_hash && row.previous_expires_at && new Date(row.previous_expires_at) > now) {
    return (await verifier.verify(previous, row.previous_secret_hash, token)) ? 'previous' : null;
  }
  return null;
}

/** Checks a token against a credential's secret, or its previous secret while a rotation's grace period runs. */
export async function verifyWithGrace(verifier: KeyVerifier, id: string, row: Secrets, token: ParsedToken, now: Date): Promise<boolean> {
  return (await matchSecret(verifier, id, row, token, now)) !== null;
}

/** Milliseconds between two writes of a credential's last use (and on every change of IP). */
export const LAST_USED_INTERVAL_MS = 60_000;

/** Pure: whether this use should be written down (bookkeeping stays off most requests). */
export function shouldRecordUse(row: { last_used_at: string | null; last_used_ip: string | null }, now: Date, ip: string | null): boolean {
  const last = row.last_used_at ? new Date(row.last_used_at).getTime() : 0;
  return now.getTime() - last > LAST_USED_INTERVAL_MS || row.last_used_ip !== ip;
}

/**
 * Authenticates a token against a credential row read by its lookup id (`undefined`: none):
 * secret (or previous secret in grace), then status. Throws the envelope's 401 codes, naming
 * the credential as `noun` ("API key", "team key"). Returns the status-checked row.
 */
export async function acceptSecret<R extends Secrets & { revoked_at: string | null; expires_at: string | null; enabled?: number }>(
  verifier: KeyVerifier,
  input: { id: string; row: R | undefined; token: ParsedToken; now: Date; noun: string },
): Promise<R> {
  const { row, noun } = input;
  if (!row || !(await verifyWithGrace(verifier, input.id, row, input.token, input.now))) throw new HttpError('INVALID_TOKEN', `The ${noun} is invalid`);
  const status = secretStatus(row, input.now);
  if (status === 'revoked') throw new HttpError('INVALID_TOKEN', `The ${noun} has been revoked`);
  if (status === 'expired') throw new HttpError('TOKEN_EXPIRED', `The ${noun} has expired`);
  if (status === 'disabled') throw new HttpError('INVALID_TOKEN', `The ${noun} is disabled`);
  return row;
}
