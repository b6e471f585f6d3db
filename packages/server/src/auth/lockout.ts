import type { Logger } from 'pino';
import type { Clock } from '../http/clock.js';
import { HttpError } from '../http/http-error.js';
import type { DelayPolicy, LockoutPolicy } from '../middleware/rate-limit/rate-limit-config.js';
import type { RedisClient } from '../middleware/rate-limit/redis.js';
import { emailDigest } from '../middleware/rate-limit/rate-limits.js';
import { rateLimitHeaders, retryAfterSeconds } from '../middleware/rate-limit/window.js';

/** Consecutive failed sign-ins of one scope and when the last one happened (ms). */
export interface Failures {
  count: number;
  lastAt: number;
}

const NONE: Failures = { count: 0, lastAt: 0 };

/** How long a scope waits after its last failure before it may try again, seconds. */
export function delayAfter(failures: number, policy: DelayPolicy): number {
  if (failures < policy.freeFailures) return 0;
  return Math.min(policy.maxDelaySeconds, policy.delaySeconds * 2 ** (failures - policy.freeFailures));
}

export type SignInDecision =
  | { allowed: true }
  | { allowed: false; reason: 'ip' | 'account'; retryAtMs: number; limit: number }
  | { allowed: false; reason: 'blocked' };

/**
 * Whether a sign-in may be checked now. Pure: the failures of this email from this IP and
 * from everywhere, the account's durable counter (users.failed_sign_ins, 0 for unknown
 * emails) and `now`. Refused attempts never reach Argon2 and are not failures themselves,
 * so hammering a lock does not extend it.
 */
export function signInDecision(
  state: { ip: Failures; account: Failures; durableFailures: number },
  nowMs: number,
  policy: LockoutPolicy,
): SignInDecision {
  if (Math.max(state.account.count, state.durableFailures) >= policy.blockAt) return { allowed: false, reason: 'blocked' };
  const ipUntil = state.ip.lastAt + delayAfter(state.ip.count, policy.perIp) * 1000;
  const accountUntil = state.account.lastAt + delayAfter(state.account.count, policy.perAccount) * 1000;
  if (ipUntil > nowMs && ipUntil >= accountUntil) return { allowed: false, reason: 'ip', retryAtMs: ipUntil, limit: policy.perIp.freeFailures };
  if (accountUntil > nowMs) return { allowed: false, reason: 'account', retryAtMs: accountUntil, limit: policy.perAccount.freeFailures };
  return { allowed: true };
}

/** Where failure records live: this process, or Redis when several instances share them. */
export interface FailureStore {
  read(key: string, ip: string, nowMs: number): Promise<{ ip: Failures; account: Failures }>;
  fail(key: string, ip: string, nowMs: number, ttlSeconds: number): Promise<void>;
  /** A correct password: the account's and this IP's failures start again from zero. */
  succeed(key: string, ip: string): Promise<void>;
  /** A password reset: every failure of the email is forgotten. */
  clear(key: string): Promise<void>;
}

interface MemoryRecord {
  account: Failures;
  ips: Map<string, Failures>;
  expiresAt: number;
}

/** Failure records of one process; each expires `forgetAfterSeconds` after its last failure. */
export class MemoryFailureStore implements FailureStore {
  private readonly records = new Map<string, MemoryRecord>();

  async read(key: string, ip: string, nowMs: number) {
    const record = this.live(key, nowMs);
    return { ip: record?.ips.get(ip) ?? NONE, account: record?.account ?? NONE };
  }

  async fail(key: string, ip: string, nowMs: number, ttlSeconds: number) {
    const record = this.live(key, nowMs) ?? { account: NONE, ips: new Map(), expiresAt: 0 };
    record.account = { count: record.account.count + 1, lastAt: nowMs };
    record.ips.set(ip, { count: (record.ips.get(ip)?.count ?? 0) + 1, lastAt: nowMs });
    record.expiresAt = nowMs + ttlSeconds * 1000;
    this.records.set(key, record);
    if (this.records.size % 1000 === 0) this.sweep(nowMs);
  }

  async succeed(key: string, ip: string) {
    const record = this.records.get(key);
    if (!record) return;
    record.account = NONE;
    record.ips.delete(ip);
  }

  async clear(key: string) {
    this.records.delete(key);
  }

  private live(key: string, nowMs: number): MemoryRecord | undefined {
    const record = this.records.get(key);
    if (record && record.expiresAt <= nowMs) {
      this.records.delete(key);
      return undefined;
    }
    return record;
  }

  private sweep(nowMs: number) {
    for (const [key, record] of this.records) if (record.expiresAt <= nowMs) this.records.delete(key);
  }
}

/** One Redis hash per email: `n`/`t` for the account, `<ip>|n`/`<ip>|t` per IP. */
export class RedisFailureStore implements FailureStore {
  constructor(
    private readonly client: RedisClient,
    private readonly prefix: string,
  ) {}

  async read(key: string, ip: string) {
    const [n, t, ipN, ipT] = await this.client.hmGet(this.prefix + key, ['n', 't', `${ip}|n`, `${ip}|t`]);
    return { account: { count: Number(n ?? 0), lastAt: Number(t ?? 0) }, ip: { count: Number(ipN ?? 0), lastAt: Number(ipT ?? 0) } };
  }

  async fail(key: string, ip: string, nowMs: number, ttlSeconds: number) {
    const k = this.prefix + key;
    await this.client.multi()
      .hIncrBy(k, 'n', 1).hIncrBy(k, `${ip}|n`, 1)
      .hSet(k, { t: String(nowMs), [`${ip}|t`]: String(nowMs) })
      .expire(k, ttlSeconds)
      .exec();
  }

  async succeed(key: string, ip: string) {
    await this.client.hDel(this.prefix + key, ['n', 't', `${ip}|n`, `${ip}|t`]);
  }

  async clear(key: string) {
    await this.client.del(this.prefix + key);
  }
}

/** The outcome of an admitted attempt, to report once the password was checked. */
export interface SignInAttempt {
  failed(): Promise<void>;
  succeeded(): Promise<void>;
}

/**
 * The sign-in lockout (docs/rate-limits.md "Lockout"): per (email, IP) a lock that grows after
 * a few failures, per email a delay that grows after more, and a block at `blockAt`
 * consecutive failures until a password reset. Keyed by a digest of the email, so unknown
 * emails get exactly the same treatment and the store never holds an address.
 */
export class SignInLockout {
  constructor(
    private readonly store: FailureStore,
    readonly policy: LockoutPolicy,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** Throws 429 RATE_LIMITED when the attempt must wait; runs before any Argon2 work. */
  async admit(email: string, ip: string, durableFailures: number): Promise<SignInAttempt> {
    const key = this.keyOf(email);
    const now = this.clock.now().getTime();
    const state = await this.guard(() => this.store.read(key, ip, now));
    const decision = signInDecision({ ...state, durableFailures }, now, this.policy);
    if (!decision.allowed) throw this.refusal(decision, now);
    return {
      failed: () => this.guard(() => this.store.fail(key, ip, this.clock.now().getTime(), this.policy.forgetAfterSeconds)),
      succeeded: () => this.guard(() => this.store.succeed(key, ip)),
    };
  }

  /** Forgets every failure of an email (its password was reset). */
  async clear(email: string): Promise<void> {
    await this.guard(() => this.store.clear(this.keyOf(email)));
  }

  private keyOf(email: string): string {
    return emailDigest(email);
  }

  private refusal(decision: Exclude<SignInDecision, { allowed: true }>, nowMs: number): HttpError {
    if (decision.reason === 'blocked') {
      // The block does not lift by itself; the hour only paces clients that retry.
      const resetMs = nowMs + 3600_000;
      return new HttpError('RATE_LIMITED', 'Sign-in to this account is blocked after too many failed attempts: reset the password to unlock it', undefined, {
        ...rateLimitHeaders({ limit: this.policy.blockAt, remaining: 0, resetMs }),
        'Retry-After': String(retryAfterSeconds(resetMs, nowMs)),
      });
    }
    const wait = retryAfterSeconds(decision.retryAtMs, nowMs);
    const where = decision.reason === 'ip' ? 'from this address' : 'from anywhere';
    return new HttpError('RATE_LIMITED', `Too many failed sign-ins to this account ${where}: retry in ${wait} s, or reset the password`, undefined, {
      ...rateLimitHeaders({ limit: decision.limit, remaining: 0, resetMs: decision.retryAtMs }),
      'Retry-After': String(wait),
    });
  }

  private async guard<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      this.logger.error({ err }, 'sign-in lockout store unreachable');
      throw new HttpError('UNAVAILABLE', 'Sign-in is temporarily unavailable; retry later');
    }
  }
}
