import fs from 'node:fs';
import { Type, type Static } from '@sinclair/typebox';
import { ROUTES, Strict, validate, type RouteContract, type RouteName } from '@acct/shared';

/** `limit` requests per fixed window of `windowSeconds` (windows start at multiples of it since the epoch). */
export interface Rule {
  limit: number;
  windowSeconds: number;
}

/** What a limit counts by. */
export type Subject = 'ip' | 'email' | 'credential';

/** Growing delay after consecutive failures: none below `freeFailures`, then `delaySeconds × 2^(n − free)`, capped. */
export interface DelayPolicy {
  freeFailures: number;
  delaySeconds: number;
  maxDelaySeconds: number;
}

/** The sign-in lockout (docs/rate-limits.md "Lockout"). */
export interface LockoutPolicy {
  /** Per (email, client IP): a stranger's failures from elsewhere do not lock this IP out. */
  perIp: DelayPolicy;
  /** Per email across all IPs: slows a distributed guesser down. */
  perAccount: DelayPolicy;
  /** Consecutive failures after which sign-in is blocked until a password reset (SECURITY.md). */
  blockAt: number;
  /** A failure record is forgotten this long after its last failure. */
  forgetAfterSeconds: number;
}

export type EndpointRules = Partial<Record<Subject, Rule>>;

/**
 * Budgets of protocol endpoints that are not in ROUTES (OAuth's own wire formats and pages),
 * counted per client IP and spent by their handlers through RateLimits.byBudget.
 */
export const PROTOCOL_BUDGETS = {
  /** POST /oauth2/register (RFC 7591): registration is cheap to call and must not be cheap to flood. */
  oauthRegister: 'POST /oauth2/register',
  /** Looking up a user code on /device (RFC 8628 §5.1): guessing codes must stay slow. */
  deviceUserCode: '/device (user_code)',
} as const;
export type ProtocolBudget = keyof typeof PROTOCOL_BUDGETS;

/** The resolved configuration: every number the limiter and the lockout use. */
export interface RateLimitConfig {
  /** False for ACCT_RATE_LIMITS=off: no request limits (the lockout stays on). */
  enabled: boolean;
  /** Every request, routed or not (unknown paths, requests refused before routing), per client IP. */
  global: Rule | null;
  /** Every public route, per client IP. */
  ip: Rule | null;
  /** Every authenticated route, per credential (session id, API key id). */
  credential: Rule | null;
  /** Stricter budgets of single endpoints, by ROUTES name. */
  endpoints: Partial<Record<RouteName, EndpointRules>>;
  /** Per-IP budgets of protocol endpoints outside ROUTES (PROTOCOL_BUDGETS). */
  protocol: Partial<Record<ProtocolBudget, Rule>>;
  lockout: LockoutPolicy;
  /** Prefix of every Redis key (REDIS_URL); tests use a unique one per run. */
  redisPrefix: string;
}

/** Routes that spend another endpoint's budget: bearer login is sign-in by another name. */
export const SHARED_BUDGETS: Partial<Record<RouteName, RouteName>> = { login: 'signIn' };

/**
 * The built-in limits. Better Auth's defaults (100 requests / 60 s per IP, sign-in 3 / 10 s)
 * for the public routes; the routes that hash a password or send mail get their own budgets.
 */
export const DEFAULT_RATE_LIMITS: RateLimitConfig = {
  enabled: true,
  // Above the busiest legitimate client (a credential's 600 plus the public routes' 100); it
  // caps what nothing else counts: unknown paths and requests refused before routing.
  global: { limit: 1000, windowSeconds: 60 },
  ip: { limit: 100, windowSeconds: 60 },
  credential: { limit: 600, windowSeconds: 60 },
  endpoints: {
    signIn: { ip: { limit: 3, windowSeconds: 10 }, email: { limit: 10, windowSeconds: 300 } },
    signUp: { ip: { limit: 10, windowSeconds: 3600 } },
    requestPasswordReset: { ip: { limit: 5, windowSeconds: 900 }, email: { limit: 3, windowSeconds: 3600 } },
    sendVerificationEmail: { ip: { limit: 5, windowSeconds: 900 }, email: { limit: 3, windowSeconds: 3600 } },
    resetPassword: { ip: { limit: 10, windowSeconds: 900 } },
    verifyEmail: { ip: { limit: 10, windowSeconds: 900 } },
    reportLeakedKey: { ip: { limit: 10, windowSeconds: 600 } },
    changePassword: { credential: { limit: 5, windowSeconds: 900 } },
  },
  protocol: {
    oauthRegister: { limit: 20, windowSeconds: 3600 },
    deviceUserCode: { limit: 10, windowSeconds: 300 },
  },
  lockout: {
    perIp: { freeFailures: 5, delaySeconds: 300, maxDelaySeconds: 3600 },
    perAccount: { freeFailures: 20, delaySeconds: 2, maxDelaySeconds: 900 },
    blockAt: 100,
    forgetAfterSeconds: 30 * 86400,
  },
  redisPrefix: 'acct:',
};

const RuleSchema = Strict({
  limit: Type.Integer({ minimum: 1 }),
  windowSeconds: Type.Integer({ minimum: 1, maximum: 7 * 86400 }),
});
const MaybeRule = Type.Union([RuleSchema, Type.Null()]);
const Delay = Strict({
  freeFailures: Type.Integer({ minimum: 1 }),
  delaySeconds: Type.Integer({ minimum: 1 }),
  maxDelaySeconds: Type.Integer({ minimum: 1 }),
});
const FileSchema = Strict({
  defaults: Type.Optional(Type.Boolean()),
  global: Type.Optional(MaybeRule),
  ip: Type.Optional(MaybeRule),
  credential: Type.Optional(MaybeRule),
  endpoints: Type.Optional(
    Type.Record(Type.String(), Strict({ ip: Type.Optional(MaybeRule), email: Type.Optional(MaybeRule), credential: Type.Optional(MaybeRule) })),
  ),
  protocol: Type.Optional(Type.Record(Type.String(), MaybeRule)),
  lockout: Type.Optional(
    Strict({
      perIp: Type.Optional(Delay),
      perAccount: Type.Optional(Delay),
      blockAt: Type.Optional(Type.Integer({ minimum: 1 })),
      forgetAfterSeconds: Type.Optional(Type.Integer({ minimum: 60 })),
    }),
  ),
  redisPrefix: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
});
type RateLimitFile = Static<typeof FileSchema>;

/** Whether a route's body carries the `email` a per-email limit counts by. */
export function hasEmailBody(contract: RouteContract): boolean {
  const properties = (contract.body as { properties?: Record<string, unknown> } | undefined)?.properties;
  return Boolean(properties && 'email' in properties);
}

function fail(message: string): never {
  throw new Error(`ACCT_RATE_LIMITS: ${message} (see docs/rate-limits.md)`);
}

function checkEndpoint(name: string, rules: Record<string, unknown>): void {
  const contract = (ROUTES as Record<string, RouteContract>)[name];
  if (!contract) fail(`unknown endpoint ${JSON.stringify(name)}; use a route name such as "signIn"`);
  const shared = SHARED_BUDGETS[name as RouteName];
  if (shared) fail(`"${name}" spends the budget of "${shared}": configure "${shared}"`);
  if (rules['email'] && !hasEmailBody(contract)) fail(`"${name}" has no email in its body, so it cannot be limited per email`);
  if (rules['credential'] && contract.auth === 'public') fail(`"${name}" is public, so it cannot be limited per credential`);
}

/** Merges a file over the defaults: top-level rules replace, endpoints merge by name and subject, null removes. */
function merge(file: RateLimitFile): RateLimitConfig {
  const base: RateLimitConfig = file.defaults === false
    ? { ...DEFAULT_RATE_LIMITS, global: null, ip: null, credential: null, endpoints: {}, protocol: {} }
    : DEFAULT_RATE_LIMITS;
  const endpoints: Partial<Record<RouteName, EndpointRules>> = {};
  for (const [name, rules] of Object.entries(base.endpoints)) endpoints[name as RouteName] = { ...rules };
  for (const [name, rules] of Object.entries(file.endpoints ?? {})) {
    checkEndpoint(name, rules);
    const merged: EndpointRules = { ...endpoints[name as RouteName] };
    for (const subject of ['ip', 'email', 'credential'] as const) {
      const rule = rules[subject];
      if (rule === null) delete merged[subject];
      else if (rule !== undefined) merged[subject] = rule;
    }
    endpoints[name as RouteName] = merged;
  }
  const protocol: Partial<Record<ProtocolBudget, Rule>> = { ...base.protocol };
  for (const [name, rule] of Object.entries(file.protocol ?? {})) {
    if (!Object.hasOwn(PROTOCOL_BUDGETS, name)) fail(`unknown protocol budget ${JSON.stringify(name)}; use one of ${Object.keys(PROTOCOL_BUDGETS).join(', ')}`);
    if (rule === null) delete protocol[name as ProtocolBudget];
    else protocol[name as ProtocolBudget] = rule;
  }
  return {
    enabled: true,
    global: file.global === undefined ? base.global : file.global,
    ip: file.ip === undefined ? base.ip : file.ip,
    credential: file.credential === undefined ? base.credential : file.credential,
    endpoints,
    protocol,
    lockout: { ...base.lockout, ...file.lockout },
    redisPrefix: file.redisPrefix ?? base.redisPrefix,
  };
}

/**
 * Reads ACCT_RATE_LIMITS: unset = the defaults, `off` = no request limits, `{…}` = inline
 * JSON, anything else = the path of a JSON file. Throws a readable error on a bad value.
 */
export function loadRateLimitConfig(value: string | null | undefined): RateLimitConfig {
  if (!value) return DEFAULT_RATE_LIMITS;
  if (value.trim().toLowerCase() === 'off') return { ...DEFAULT_RATE_LIMITS, enabled: false };
  let text = value;
  if (!value.trim().startsWith('{')) {
    try {
      text = fs.readFileSync(value, 'utf8');
    } catch (err) {
      fail(`cannot read ${JSON.stringify(value)}: ${(err as Error).message}`);
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    fail('is not valid JSON');
  }
  const checked = validate(FileSchema, parsed);
  if (!checked.ok) fail(checked.errors.map((e) => e.message).join('; '));
  return merge(checked.value);
}
