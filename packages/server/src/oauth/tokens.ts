import { createHmac, randomBytes } from 'node:crypto';
import { base62FromBytes, issueToken, randomBase62, TOKEN_ID_LENGTH, TOKEN_SECRET_LENGTH, type ParsedToken } from '@acct/shared';

/**
 * OAuth tokens are ordinary acct tokens (`bo_` access, `br_` refresh: prefix, lookup id, secret,
 * CRC32), stored as SHA-256 like session tokens: a ≥190-bit random secret needs no slow hash.
 *
 * A rotation derives the new pair from the refresh token it replaces (HMAC under the server
 * secret) instead of drawing fresh random bytes: a client that retries the same refresh a moment
 * later (a lost response, two tabs) is answered with the very same pair, without the server ever
 * keeping a token it could leak. Only a holder of the old refresh token can make the derivation.
 */
export function newToken(kind: 'oauthAccess' | 'oauthRefresh'): ParsedToken {
  return issueToken(kind);
}

/** The token a rotation of `seed` produces for `kind`: the same inputs always give the same token. */
export function derivedToken(serverSecret: Buffer, kind: 'oauthAccess' | 'oauthRefresh', seed: string): ParsedToken {
  let counter = 0;
  const stream = () => createHmac('sha256', serverSecret).update(`oauth-rotation\0${kind}\0${seed}\0${counter++}`).digest();
  const lookupId = base62FromBytes(TOKEN_ID_LENGTH, stream);
  const secret = base62FromBytes(TOKEN_SECRET_LENGTH, stream);
  return issueToken(kind, lookupId, secret);
}

/** Authorization codes and device codes: random, single-use, stored hashed. */
export function newCode(): string {
  return randomBase62(43);
}

const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ'; // RFC 8628 §6.1: no vowels, no look-alikes

/** An 8-letter user code (20^8 ≈ 2^34 combinations), shown as `WDJB-MJHT`. */
export function newUserCode(): string {
  let out = '';
  while (out.length < 8) {
    for (const byte of randomBytes(16)) {
      if (byte < 240) out += USER_CODE_ALPHABET[byte % 20];
      if (out.length === 8) break;
    }
  }
  return out;
}

/** What a person types: any case, with or without the dash or spaces. */
export function normalizeUserCode(input: string): string {
  return input.toUpperCase().replace(/[^A-Z]/g, '').slice(0, 8);
}

export function formatUserCode(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}
