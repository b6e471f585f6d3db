import { crc32 } from 'node:zlib';
import { randomBytes } from 'node:crypto';

/**
 * Every secret acct issues: a kind prefix, a lookup id, a random secret and a CRC32 checksum,
 * all base62, e.g. `ba_` + 12 + 32 + 6 characters. The checksum lets clients and the server
 * refuse a mistyped or truncated token without a database read, and lets secret scanners
 * recognise a leaked one.
 */
export const TOKEN_KINDS = {
  pat: 'ba_',
  teamKey: 'bt_',
  session: 'bc_',
  bearerSession: 'bs_',
  emailLink: 'bm_',
  /** OAuth 2.1 access token (oauth/): short-lived, held by a third-party app for a user. */
  oauthAccess: 'bo_',
  /** OAuth 2.1 refresh token: rotated on every use. */
  oauthRefresh: 'br_',
} as const;

export type TokenKind = keyof typeof TOKEN_KINDS;

const KIND_BY_PREFIX = new Map((Object.entries(TOKEN_KINDS) as [TokenKind, string][]).map(([kind, prefix]) => [prefix, kind]));

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const ID_LENGTH = 12;
const SECRET_LENGTH = 32; // 32 × log2(62) ≈ 190 bits
const CHECKSUM_LENGTH = 6;
const BODY = new RegExp(`^[0-9A-Za-z]{${ID_LENGTH + SECRET_LENGTH + CHECKSUM_LENGTH}}$`);

/** Token part lengths: a lookup id and a secret, both base62. */
export const TOKEN_ID_LENGTH = ID_LENGTH;
export const TOKEN_SECRET_LENGTH = SECRET_LENGTH;

/** Base62 characters from a byte source (rejection sampling, no modulo bias); `more` is asked for bytes until `length` is reached. */
export function base62FromBytes(length: number, more: () => Uint8Array): string {
  let out = '';
  while (out.length < length) {
    for (const byte of more()) {
      if (byte < 248) out += ALPHABET[byte % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

/** Uniform random base62 string (rejection sampling, no modulo bias). */
export function randomBase62(length: number): string {
  return base62FromBytes(length, () => randomBytes(length * 2));
}

function base62(value: number, width: number): string {
  let out = '';
  let n = value;
  for (let i = 0; i < width; i++) {
    out = ALPHABET[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out;
}

function checksum(text: string): string {
  return base62(crc32(text) >>> 0, CHECKSUM_LENGTH);
}

export interface ParsedToken {
  kind: TokenKind;
  lookupId: string;
  secret: string;
  token: string;
}

/** Makes a new token of a kind; `lookupId` defaults to a fresh random one, `secret` to fresh random characters. */
export function issueToken(kind: TokenKind, lookupId = randomBase62(ID_LENGTH), secret = randomBase62(SECRET_LENGTH)): ParsedToken {
  if (lookupId.length !== ID_LENGTH || secret.length !== SECRET_LENGTH) throw new Error('token parts have the wrong length');
  const head = `${TOKEN_KINDS[kind]}${lookupId}${secret}`;
  const token = head + checksum(head);
  return parseToken(token)!;
}

/** Splits a token and checks its prefix, length and checksum; null when any is wrong. */
export function parseToken(token: string, expected?: TokenKind): ParsedToken | null {
  if (typeof token !== 'string' || token.length > 64) return null;
  const kind = KIND_BY_PREFIX.get(token.slice(0, 3));
  if (!kind || (expected && kind !== expected)) return null;
  const body = token.slice(3);
  if (!BODY.test(body)) return null;
  const head = token.slice(0, token.length - CHECKSUM_LENGTH);
  if (checksum(head) !== token.slice(-CHECKSUM_LENGTH)) return null;
  return { kind, lookupId: body.slice(0, ID_LENGTH), secret: body.slice(ID_LENGTH, ID_LENGTH + SECRET_LENGTH), token };
}

/** `ba_AbCd…`: enough to recognise a token, never enough to use it. */
export function maskToken(token: string): string {
  return token.length <= 7 ? '…' : `${token.slice(0, 7)}…`;
}
