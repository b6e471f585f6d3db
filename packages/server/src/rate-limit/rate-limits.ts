import { createHash } from 'node:crypto';
import { requestIp } from '../http/client-ip.js';
import type { Request, Response } from 'express';
import { ipKeyGenerator, MemoryStore, rateLimit, type RateLimitInfo, type RateLimitRequestHandler, type Store } from 'express-rate-limit';
import type { RedisStore } from 'rate-limit-redis';
import type { Logger } from 'pino';
import { ROUTES, type RouteContract, type RouteName } from '@acct/shared';
import type { Clock } from '../time/clock.js';
import { HttpError } from '../http/http-error.js';
import { checkEmail } from '../users/users.service.js';
import { ClockWindowStore } from './clock-window-store.js';
import { hasEmailBody, PROTOCOL_BUDGETS, SHARED_BUDGETS, type ProtocolBudget, type RateLimitConfig, type Rule, type Subject } from './rate-limit-config.js';
import type { RedisClient } from './redis.js';
import { rateLimitHeaders, retryAfterSeconds, tighter, type LimitState } from './window.js';

/** Who a credential-limited request comes from: a principal counts by its credential's kind and id. */
export interface CredentialOf {
  credential: { kind: string; id: string };
}

/** One budget: a rule, what it counts by, the routes that spend it, and its express-rate-limit middleware. */
export interface Limit {
  name: string;
  per: Subject;
  rule: Rule;
  routes: RouteContract[];
  middleware: RateLimitRequestHandler;
  property: string;
  /** What a protocol budget (no ROUTES contract) covers, for describe(). */
  covers?: string;
}

const KEYS = 'rateLimitKeys';

/**
 * Routes whose per-email budget depends on the client, so their handlers spend it
 * (byEmail): a known device signs in without the per-email sign-in budget, and reset
 * requests count per email and client (docs/rate-limits.md).
 */
const CLIENT_AWARE = new Set<RouteContract>([ROUTES.signIn, ROUTES.login, ROUTES.requestPasswordReset]);
const TIGHTEST = 'rateLimitTightest';

/** The client address limits count by: IPv6 by its /56 network, which one subscriber usually holds. */
export function clientIp(req: Request): string {
  return ipKeyGenerator(requestIp(req) ?? req.socket.remoteAddress ?? 'unknown', 56);
}

/**
 * The key of an email in counters: a digest, so the store (Redis) never holds an address.
 * Unsalted on purpose: every instance must derive the same key to share the budget.
 */
export function emailDigest(email: string): string {
  // The account's normal form (users.checkEmail of @acct/shared): look-alike spellings share one budget.
  const verdict = checkEmail(email);
  return createHash('sha256').update(`acct-email:${verdict.ok ? verdict.email : email.trim().toLowerCase()}`).digest('base64url').slice(0, 32);
}

/** `kind:id` of a caller's credential. */
export function credentialKey(caller: CredentialOf): string {
  return `${caller.credential.kind}:${caller.credential.id}`;
}

function routeLabel(contract: RouteContract): string {
  return `${contract.method} ${contract.path}`;
}

/**
 * Every request limit of the server, built once from the configuration. `bind` calls the
 * three stages: by IP before anything else, by email once the body is valid, by credential
 * right after authentication resolved the caller (no extra database read or hash). Each
 * budget counts a request at most once; the headers show the tightest budget the request
 * spent; exceeding one answers 429 RATE_LIMITED with Retry-After.
 */
export class RateLimits {
  readonly limits: Limit[] = [];
  /** `global`: every request, routed or not, by client IP. */
  private readonly everyRequest: Limit | null = null;
  private readonly byRoute = new Map<RouteContract, Record<Subject, Limit[]>>();
  private readonly protocol = new Map<ProtocolBudget, Limit>();

  constructor(
    readonly config: RateLimitConfig,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly redis: RedisClient | null,
    /** rate-limit-redis's store, loaded only when REDIS_URL is set. */
    private readonly RedisStoreClass: typeof RedisStore | null = null,
  ) {
    if (!config.enabled) return;
    const routes = Object.entries(ROUTES) as [RouteName, RouteContract][];
    const publicRoutes = routes.filter(([, c]) => c.auth === 'public').map(([, c]) => c);
    const authenticated = routes.filter(([, c]) => c.auth !== 'public').map(([, c]) => c);
    if (config.global) this.everyRequest = this.add('global', 'ip', config.global, []);
    if (config.ip) this.add('ip', 'ip', config.ip, publicRoutes);
    if (config.credential) this.add('credential', 'credential', config.credential, authenticated);
    for (const [name, rules] of Object.entries(config.endpoints) as [RouteName, Record<Subject, Rule | undefined>][]) {
      const spenders = routes.filter(([n]) => n === name || SHARED_BUDGETS[n] === name).map(([, c]) => c);
      for (const per of ['ip', 'email', 'credential'] as const) {
        const rule = rules[per];
        if (rule) this.add(`${name}.${per}`, per, rule, per === 'email' ? spenders.filter(hasEmailBody) : spenders);
      }
    }
    for (const [name, rule] of Object.entries(config.protocol) as [ProtocolBudget, Rule][]) {
      const limit = this.add(`${name}.ip`, 'ip', rule, []);
      limit.covers = PROTOCOL_BUDGETS[name];
      this.protocol.set(name, limit);
    }
  }

  /**
   * Counts the request against a protocol budget (PROTOCOL_BUDGETS), per client IP; its
   * handler calls this where the budget applies. Over the budget: HttpError RATE_LIMITED with
   * Retry-After, which the handler may render in its protocol's own error format.
   */
  async byBudget(name: ProtocolBudget, req: Request, res: Response): Promise<void> {
    const limit = this.protocol.get(name);
    if (limit) await this.run([limit], req, res, clientIp(req));
  }

  /**
   * Counts every request, before routing or reading it, against the `global` per-IP budget.
   * With its store unreachable it steps aside instead of failing closed: routes with budgets of
   * their own still answer 503, and health checks must not depend on Redis.
   */
  async byRequest(req: Request, res: Response): Promise<void> {
    if (!this.everyRequest) return;
    try {
      await this.run([this.everyRequest], req, res, clientIp(req));
    } catch (err) {
      if (!(err instanceof HttpError && err.code === 'UNAVAILABLE')) throw err;
    }
  }

  /** Whether a `global` budget counts every request (off: no middleware needs to run for it). */
  get countsEveryRequest(): boolean {
    return this.everyRequest !== null;
  }

  /** Counts the request against the per-IP budgets of its route. */
  async byIp(contract: RouteContract, req: Request, res: Response): Promise<void> {
    if (!this.byRoute.get(contract)?.ip.length) return; // no per-IP budget here: skip the IP's key
    await this.spend('ip', contract, req, res, clientIp(req));
  }

  /** Counts the request against the per-email budgets of its route (the body was validated). */
  async byBody(contract: RouteContract, req: Request, res: Response, body: unknown): Promise<void> {
    if (CLIENT_AWARE.has(contract)) return; // its handler calls byEmail once it knows the client
    const email = (body as { email?: unknown } | undefined)?.email;
    if (typeof email !== 'string') return;
    await this.spend('email', contract, req, res, emailDigest(email));
  }

  /**
   * The per-email budgets of a route in CLIENT_AWARE, spent by its handler: per email
   * (`client` null: sign-in from a client that never signed in as the account), or per email
   * and client (reset requests: `ip:<address>` or `device:<id>`), so that nobody else's
   * requests spend the owner's.
   */
  async byEmail(contract: RouteContract, req: Request, res: Response, email: string, client: string | null): Promise<void> {
    await this.spend('email', contract, req, res, client ? `${emailDigest(email)}|${client}` : emailDigest(email));
  }

  /** Counts the request against the per-credential budgets of its route (the caller is resolved). */
  async byCredential(contract: RouteContract, req: Request, res: Response, caller: CredentialOf): Promise<void> {
    await this.spend('credential', contract, req, res, credentialKey(caller));
  }

  /** The budgets a caller spends, with what is left of the IP and credential ones now. */
  async describe(req: Request, caller: CredentialOf | null) {
    const keys: Partial<Record<Subject, string>> = { ip: clientIp(req), ...(caller ? { credential: credentialKey(caller) } : {}) };
    const nowMs = this.clock.now().getTime();
    const out = [];
    for (const limit of this.limits) {
      if (limit.per === 'credential' && !keys.credential) continue;
      const key = keys[limit.per];
      const info = key ? await limit.middleware.getKey(`${limit.name}:${key}`) : undefined;
      out.push({
        name: limit.name, per: limit.per, routes: limit === this.everyRequest ? ['*'] : limit.covers ? [limit.covers] : limit.routes.map(routeLabel), limit: limit.rule.limit, windowSeconds: limit.rule.windowSeconds,
        remaining: key ? Math.max(0, limit.rule.limit - (info?.totalHits ?? 0)) : null,
        reset: key ? Math.ceil((info?.resetTime?.getTime() ?? nowMs) / 1000) : null,
      });
    }
    return out;
  }

  private add(name: string, per: Subject, rule: Rule, routes: RouteContract[]): Limit {
    const property = `rateLimit:${name}`;
    const inner: Store = this.redis && this.RedisStoreClass
      ? new this.RedisStoreClass({ sendCommand: (...args: string[]) => this.redis!.sendCommand(args), prefix: `${this.config.redisPrefix}rl:` })
      : new MemoryStore();
    const clock = this.clock;
    const middleware = rateLimit({
      windowMs: rule.windowSeconds * 1000,
      limit: rule.limit,
      // Redis unreachable: the general per-credential budget counts per instance (the caller proved
      // who they are); every other budget fails closed (docs/operations.md "When Redis is unreachable").
      store: new ClockWindowStore(inner, clock, this.logger, inner instanceof MemoryStore || name !== 'credential' ? null : new MemoryStore()),
      keyGenerator: (_req, res) => `${name}:${(res.locals[KEYS] as string | undefined) ?? 'unknown'}`,
      requestPropertyName: property,
      legacyHeaders: false,
      standardHeaders: false,
      passOnStoreError: false,
      logger: { warn: (...args: unknown[]) => this.logger.warn(args), error: (...args: unknown[]) => this.logger.error(args) },
      handler: (req, _res, next) => {
        const info = (req as unknown as Record<string, RateLimitInfo>)[property]!;
        const nowMs = clock.now().getTime();
        const resetMs = info.resetTime?.getTime() ?? nowMs + rule.windowSeconds * 1000;
        const wait = retryAfterSeconds(resetMs, nowMs);
        this.logger.warn({ limit: name, requestId: _res.locals['requestId'], ip: clientIp(req) }, 'rate limit exceeded');
        next(new HttpError('RATE_LIMITED', `Too many requests: ${rule.limit} per ${rule.windowSeconds} s (${name}); retry in ${wait} s`, undefined, {
          ...rateLimitHeaders({ limit: info.limit, remaining: 0, resetMs }),
          'Retry-After': String(wait),
        }));
      },
    });
    const limit: Limit = { name, per, rule, routes, middleware, property };
    this.limits.push(limit);
    for (const route of routes) {
      let entry = this.byRoute.get(route);
      if (!entry) this.byRoute.set(route, (entry = { ip: [], email: [], credential: [] }));
      entry[per].push(limit);
    }
    return limit;
  }

  private async spend(per: Subject, contract: RouteContract, req: Request, res: Response, key: string): Promise<void> {
    const limits = this.byRoute.get(contract)?.[per];
    if (limits?.length) await this.run(limits, req, res, key);
  }

  private async run(limits: Limit[], req: Request, res: Response, key: string): Promise<void> {
    res.locals[KEYS] = key;
    for (const limit of limits) {
      await new Promise<void>((resolve, reject) => limit.middleware(req, res, (err?: unknown) => (err ? reject(err) : resolve())));
      const info = (req as unknown as Record<string, RateLimitInfo>)[limit.property]!;
      const state: LimitState = { limit: info.limit, remaining: info.remaining, resetMs: info.resetTime?.getTime() ?? 0 };
      const tightest = tighter(res.locals[TIGHTEST] as LimitState | undefined, state);
      res.locals[TIGHTEST] = tightest;
      for (const [name, value] of Object.entries(rateLimitHeaders(tightest))) res.setHeader(name, value);
    }
  }
}
