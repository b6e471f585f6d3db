import { Type } from '@sinclair/typebox';
import { defineRoute } from '../contract.js';

/** What a limit counts requests by. */
export const RateLimitSubject = Type.Union([Type.Literal('ip'), Type.Literal('email'), Type.Literal('credential')]);

/** One limit that applies to the caller, with what is left of it in the current window. */
export const RateLimitEntry = Type.Object({
  name: Type.String({ description: '`ip`, `credential`, or `<endpoint>.<subject>` such as `signIn.email`' }),
  per: RateLimitSubject,
  routes: Type.Array(Type.String(), { description: '`METHOD /path` of every route this budget counts' }),
  limit: Type.Integer({ description: 'Requests allowed per window' }),
  windowSeconds: Type.Integer({ description: 'Fixed window length; windows start at multiples of it since the Unix epoch' }),
  remaining: Type.Union([Type.Integer(), Type.Null()], { description: 'Left for the caller in the current window; null for per-email limits' }),
  reset: Type.Union([Type.Integer(), Type.Null()], { description: 'Unix seconds when the current window ends; null for per-email limits' }),
});

/** Growing delay after consecutive failed sign-ins: `delaySeconds × 2^(failures − freeFailures)`, capped. */
export const SignInDelay = Type.Object({
  freeFailures: Type.Integer(),
  delaySeconds: Type.Integer(),
  maxDelaySeconds: Type.Integer(),
});

export const getRateLimits = defineRoute({
  method: 'GET', path: '/api/auth/rate-limits', tag: 'auth', auth: 'public',
  summary: 'The rate limits that apply to the caller (by IP, and by credential when one is sent) and the sign-in lockout policy',
  message: 'Rate limits fetched successfully',
  data: Type.Object({
    enabled: Type.Boolean({ description: 'False when the server runs with ACCT_RATE_LIMITS=off (the sign-in lockout stays on)' }),
    caller: Type.Object({
      ip: Type.String({ description: 'The address limits count by (IPv6: its /56 network)' }),
      credential: Type.Union([Type.Object({ kind: Type.String(), id: Type.String() }), Type.Null()]),
    }),
    limits: Type.Array(RateLimitEntry),
    lockout: Type.Object({
      perIp: SignInDelay,
      perAccount: SignInDelay,
      blockAt: Type.Integer({ description: 'Consecutive failures after which sign-in is blocked until a password reset' }),
    }),
  }),
});
