import { domainToASCII } from 'node:url';
import { Type } from '@sinclair/typebox';
import { defineRoute } from '../contract.js';
import { Email, Id, Name, NullableTimestamp, Strict, Timestamp } from '../schemas.js';

/** The account as `GET /api/user/me` shows it (seed 000). */
export const User = Type.Object({
  id: Id,
  email: Email,
  fullName: Type.String(),
  handle: Type.String(),
  isVerified: Type.Boolean(),
  verifiedAt: NullableTimestamp,
  isActive: Type.Boolean(),
  lastLoginAt: NullableTimestamp,
  role: Type.String(),
  organizationCount: Type.Integer(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

export const Handle = Type.String({ minLength: 2, maxLength: 39, pattern: '^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$' });
export const FullName = Name;

export const getMe = defineRoute({
  method: 'GET', path: '/api/user/me', tag: 'user', auth: 'user', scope: 'user:read',
  summary: 'The signed-in user', message: 'User fetched successfully', data: User,
});

export const updateMe = defineRoute({
  method: 'PATCH', path: '/api/user/me', tag: 'user', auth: 'user', scope: 'user:write',
  summary: 'Change your name or handle', message: 'User updated',
  body: Strict({ name: Type.Optional(FullName), handle: Type.Optional(Handle) }),
  data: User,
});

/**
 * Characters an address may not contain (SECURITY "Identifiers", UTS #39): controls, format
 * characters (zero-width space and joiners, bidi overrides), surrogates, private use, unassigned
 * code points, every separator, and whatever Unicode says to ignore when rendering. Each of them
 * can make an address that looks like another one, or that IDNA would silently drop.
 */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Z}\p{Default_Ignorable_Code_Point}\s]/u;

export type EmailVerdict = { ok: true; email: string } | { ok: false; reason: string };

/**
 * THE one email normalisation, used wherever an address enters the server (sign-up, sign-in,
 * bearer login, reset and verification requests, invitations, per-email rate limits), by
 * migration 0004 on stored addresses, and by the CLI when it matches an address:
 * surrounding white space trimmed; the whole address NFKC-normalised and lower-cased (so fullwidth
 * letters, `ſ` or the Kelvin sign become the letters they look like); the domain passed through
 * IDNA (`domainToASCII`, so `bücher.de` and `xn--bcher-kva.de` are one domain); invisible and
 * control characters and a trailing dot refused rather than dropped. Two inputs that normalise
 * alike are one account.
 */
export function checkEmail(input: string): EmailVerdict {
  const trimmed = input.trim();
  if (INVISIBLE.test(trimmed)) return { ok: false, reason: 'email must not contain invisible, control or space characters' };
  const folded = trimmed.normalize('NFKC').toLowerCase().normalize('NFKC');
  if (INVISIBLE.test(folded)) return { ok: false, reason: 'email must not contain invisible, control or space characters' };
  const at = folded.lastIndexOf('@');
  const local = folded.slice(0, at);
  const domain = folded.slice(at + 1);
  if (at <= 0 || !domain) return { ok: false, reason: 'email must be a valid email address' };
  // IDNA maps the ideographic full stop (。) and friends to '.', so the dot rule is checked after it.
  const ascii = domainToASCII(domain);
  if (/[.\u3002\uff0e\uff61]$/.test(domain) || ascii.endsWith('.')) return { ok: false, reason: 'email must not end its domain with a dot' };
  if (!ascii || !ascii.includes('.') || ascii.startsWith('.') || ascii.includes('..')) return { ok: false, reason: 'email must have a valid domain' };
  const email = `${local}@${ascii}`;
  if (email.length > 254) return { ok: false, reason: 'email must be at most 254 characters' };
  return { ok: true, email };
}
