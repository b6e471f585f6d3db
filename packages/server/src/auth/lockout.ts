import type { Logger } from 'pino';
import type { Clock } from '../time/clock.js';
import { HttpError } from '../http/http-error.js';
import type { DelayPolicy, LockoutPolicy } from '../rate-limit/rate-limit-config.js';
import type { RedisClient } from '../rate-limit/redis.js';
import { emailDigest } from '../rate-limit/rate-limits.js';
import { rateLimitHeaders, retryAfterSeconds } from '../rate-limit/window.js';
import type { KnownDevice } from './cookies.js';

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

/** Who a counter belongs to: this client address, the whole account, or one known device. */
export type ScopeName = 'ip' | 'account' | 'device';

/** One counter of a failure record: its field (prefix of `n`/`t`), its growing delay, and whether it blocks. */
export interface Scope {
  name: ScopeName;
  field: string;
  policy: DelayPolicy;
  /** Consecutive failures of this scope that block it until a password reset. */
  blockAt: number | null;
}

export type SignInDecision =
  | { allowed: true }
  | { allowed: false; reason: ScopeName; retryAtMs: number; limit: number }
  | { allowed: false; reason: 'blocked' };

/**
 * Whether an attempt may be checked now, from the counters of its scopes (same order).
 * A scope at its `blockAt` blocks; otherwise the scope that waits longest decides (the first
 * on a tie). Pure; the Redis script below is the same rule.
 */
export function decide(scopes: Scope[], counts: Failures[], nowMs: number): SignInDecision {
  let worst = -1;
  let worstUntil = 0;
  for (const [i, scope] of scopes.entries()) {
    const failures = counts[i] ?? NONE;
    if (scope.blockAt !== null && failures.count >= scope.blockAt) return { allowed: false, reason: 'blocked' };
    // Below its free failures a scope has no wait at all, whenever its last failure was: an
    // attempt that reached the store late (its `now` read before a slow step) is still free.
    const delay = delayAfter(failures.count, scope.policy);
    if (delay === 0) continue;
    const until = failures.lastAt + delay * 1000;
    if (until > worstUntil) [worst, worstUntil] = [i, until];
  }
  if (worst >= 0 && worstUntil > nowMs) return { allowed: false, reason: scopes[worst]!.name, retryAtMs: worstUntil, limit: scopes[worst]!.policy.freeFailures };
  return { allowed: true };
}

/**
 * Where failure records live: this process, or Redis when several instances share them.
 * Every operation on one record is atomic, so parallel attempts cannot all read the same
 * count: an attempt is reserved (counted as a failure) before its password is hashed.
 */
export interface FailureStore {
  /** Decides on the record's scopes and, when allowed, counts one failure against each, in one step. */
  reserve(key: string, scopes: Scope[], nowMs: number, ttlSeconds: number): Promise<SignInDecision>;
  /** A reserved attempt failed: its scopes' waits are measured from now (after the hash), not from the reservation. */
  failedAt(key: string, scopes: Scope[], nowMs: number): Promise<void>;
  /** Takes a reservation back (a later check refused the attempt before its hash ran). */
  release(key: string, scopes: Scope[]): Promise<void>;
  /** A correct password: these scopes start again from zero. */
  succeed(key: string, scopes: Scope[]): Promise<void>;
  /** A password reset: every failure of the record is forgotten. */
  clear(key: string): Promise<void>;
}

interface MemoryRecord {
  fields: Map<string, Failures>;
  expiresAt: number;
}

/** Failure records of one process; each expires `forgetAfterSeconds` after its last failure. Atomic: no await inside an operation. */
export class MemoryFailureStore implements FailureStore {
  private readonly records = new Map<string, MemoryRecord>();

  async reserve(key: string, scopes: Scope[], nowMs: number, ttlSeconds: number) {
    const record = this.live(key, nowMs) ?? { fields: new Map<string, Failures>(), expiresAt: 0 };
    const decision = decide(scopes, scopes.map((s) => record.fields.get(s.field) ?? NONE), nowMs);
    if (!decision.allowed) return decision;
    for (const scope of scopes) record.fields.set(scope.field, { count: (record.fields.get(scope.field)?.count ?? 0) + 1, lastAt: nowMs });
    record.expiresAt = nowMs + ttlSeconds * 1000;
    this.records.set(key, record);
    if (this.records.size % 1000 === 0) this.sweep(nowMs);
    return decision;
  }

  async failedAt(key: string, scopes: Scope[], nowMs: number) {
    const record = this.records.get(key);
    if (!record) return;
    for (const scope of scopes) {
      const failures = record.fields.get(scope.field);
      if (failures && failures.lastAt < nowMs) record.fields.set(scope.field, { ...failures, lastAt: nowMs });
    }
  }

  async release(key: string, scopes: Scope[]) {
    const record = this.records.get(key);
    if (!record) return;
    for (const scope of scopes) {
      const failures = record.fields.get(scope.field);
      if (failures) record.fields.set(scope.field, { ...failures, count: Math.max(0, failures.count - 1) });
    }
  }

  async succeed(key: string, scopes: Scope[]) {
    const record = this.records.get(key);
    if (!record) return;
    for (const scope of scopes) record.fields.delete(scope.field);
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

/**
 * `decide` and the reservation in one Lua script, so Redis runs them as one step. ARGV: now,
 * ttl, the number of scopes, then per scope its field, free failures, delay, max delay and
 * blockAt (-1: none). Returns {1} when reserved, {0, scope, retryAtMs} when it must wait,
 * {2} when blocked.
 */
const RESERVE_SCRIPT = `
local now = tonumber(ARGV[1])
local n = tonumber(ARGV[3])
local worst, worstUntil = 0, 0
for i = 1, n do
  local b = 3 + (i - 1) * 5
  local field = ARGV[b + 1]
  local count = tonumber(redis.call('HGET', KEYS[1], field .. 'n') or '0')
  local last = tonumber(redis.call('HGET', KEYS[1], field .. 't') or '0')
  local free, delay, max, blockAt = tonumber(ARGV[b + 2]), tonumber(ARGV[b + 3]), tonumber(ARGV[b + 4]), tonumber(ARGV[b + 5])
  if blockAt >= 0 and count >= blockAt then return {2} end
  if count >= free then
    local untilMs = last + math.min(max, delay * 2 ^ (count - free)) * 1000
    if untilMs > worstUntil then worst, worstUntil = i, untilMs end
  end
end
if worst > 0 and worstUntil > now then return {0, worst, worstUntil} end
for i = 1, n do
  local field = ARGV[3 + (i - 1) * 5 + 1]
  redis.call('HINCRBY', KEYS[1], field .. 'n', 1)
  redis.call('HSET', KEYS[1], field .. 't', ARGV[1])
end
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2]))
return {1}
`;

/** One Redis hash per email: `<field>n`/`<field>t` per scope (`n`/`t` for the account, `<ip>|n`/`<ip>|t` per IP, `d:<device>|n`/`…t` per known device). */
export class RedisFailureStore implements FailureStore {
  constructor(
    private readonly client: RedisClient,
    private readonly prefix: string,
  ) {}

  async reserve(key: string, scopes: Scope[], nowMs: number, ttlSeconds: number): Promise<SignInDecision> {
    const args = [String(nowMs), String(ttlSeconds), String(scopes.length)];
    for (const s of scopes) args.push(s.field, String(s.policy.freeFailures), String(s.policy.delaySeconds), String(s.policy.maxDelaySeconds), String(s.blockAt ?? -1));
    const reply = (await this.client.eval(RESERVE_SCRIPT, { keys: [this.prefix + key], arguments: args })) as number[];
    if (reply[0] === 1) return { allowed: true };
    if (reply[0] === 2) return { allowed: false, reason: 'blocked' };
    const scope = scopes[Number(reply[1]) - 1]!;
    return { allowed: false, reason: scope.name, retryAtMs: Number(reply[2]), limit: scope.policy.freeFailures };
  }

  async failedAt(key: string, scopes: Scope[], nowMs: number) {
    // Only where the reservation left its count: a reset or success in between removed the fields.
    const k = this.prefix + key;
    await this.client.eval(
      "for i = 2, #ARGV do if redis.call('HEXISTS', KEYS[1], ARGV[i] .. 'n') == 1 then redis.call('HSET', KEYS[1], ARGV[i] .. 't', ARGV[1]) end end return 1",
      { keys: [k], arguments: [String(nowMs), ...scopes.map((s) => s.field)] },
    );
  }

  async release(key: string, scopes: Scope[]) {
    // Never below zero: a release whose reservation never reached Redis must not buy a free try.
    await this.client.eval(
      "for i = 1, #ARGV do if redis.call('HINCRBY', KEYS[1], ARGV[i] .. 'n', -1) < 0 then redis.call('HSET', KEYS[1], ARGV[i] .. 'n', 0) end end return 1",
      { keys: [this.prefix + key], arguments: scopes.map((s) => s.field) },
    );
  }

  async succeed(key: string, scopes: Scope[]) {
    await this.client.hDel(this.prefix + key, scopes.flatMap((s) => [`${s.field}n`, `${s.field}t`]));
  }

  async clear(key: string) {
    await this.client.del(this.prefix + key);
  }
}

/** The durable side of an account's failures (users.failed_sign_ins), reserved like the others. */
export interface DurableFailures {
  /** Counts one failure unless the account reached `blockAt`; false when it did (blocked). */
  reserve(blockAt: number): Promise<boolean>;
  release(): Promise<void>;
}

/** The outcome of an admitted attempt, to report once the password was checked. */
export interface SignInAttempt {
  /** The attempt was counted when it was admitted; its waits now start from this failure. */
  failed(): Promise<void>;
  succeeded(): Promise<void>;
}

/**
 * The sign-in lockout (docs/rate-limits.md "Lockout"). A client that never signed in as the
 * account: per (email, IP) a lock that grows after a few failures, per email a delay that
 * grows after more, and a block at `blockAt` consecutive failures until a password reset.
 * A known device (a valid device cookie of the account, auth/cookies.ts): only its own
 * failures count, with the per-IP policy, so nobody else's failures lock it out.
 * Every attempt is reserved (counted) atomically before Argon2 runs, and taken back on success.
 * Records are keyed by a digest of the email, so unknown emails get the same treatment and
 * the store never holds an address.
 */
export class SignInLockout {
  constructor(
    private readonly store: FailureStore,
    readonly policy: LockoutPolicy,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** Throws 429 RATE_LIMITED when the attempt must wait; runs before any Argon2 work. */
  async admit(input: { email: string; ip: string; device: KnownDevice | null; durable: DurableFailures | null }): Promise<SignInAttempt> {
    // One record per email, so a password reset (clear) forgets its devices' failures too.
    const key = emailDigest(input.email);
    const scopes: Scope[] = input.device
      ? [{ name: 'device', field: `d:${input.device.id}|`, policy: this.policy.perIp, blockAt: null }]
      : [
        { name: 'ip', field: `${input.ip}|`, policy: this.policy.perIp, blockAt: null },
        { name: 'account', field: '', policy: this.policy.perAccount, blockAt: this.policy.blockAt },
      ];
    if (input.durable && !(await input.durable.reserve(this.policy.blockAt))) throw this.refusal({ allowed: false, reason: 'blocked' }, this.clock.now().getTime());
    // Read after the durable reservation, which may wait on other attempts' row locks.
    const now = this.clock.now().getTime();
    let decision: SignInDecision;
    try {
      decision = await this.guard(() => this.store.reserve(key, scopes, now, this.policy.forgetAfterSeconds));
    } catch (err) {
      // A reservation given up on (a command timeout) may still run: a stalled connection delivers
      // it late, and it would then count as a failure nobody made. The release goes out right behind
      // it on the same connection, so it runs after the reservation whenever that does.
      this.store.release(key, scopes).catch(() => {});
      await input.durable?.release();
      throw err;
    }
    if (!decision.allowed) {
      await input.durable?.release();
      throw this.refusal(decision, now);
    }
    // Only the client's own scopes start again on success: a known device's sign-in does not
    // lift the throttle that strangers' failures put on the account.
    return {
      failed: () => this.guard(() => this.store.failedAt(key, scopes, this.clock.now().getTime())),
      succeeded: async () => {
        try {
          await this.store.succeed(key, scopes);
        } catch (err) {
          // The password was right and the attempt was counted; only taking the count back was lost
          // (the store went away while the hash ran). The sign-in stands, and the count is taken back
          // once the store answers again, so an outage never leaves failures nobody made.
          this.logger.warn({ err }, 'sign-in lockout store unreachable: a successful sign-in is cleared once it answers');
          this.retry(() => this.store.succeed(key, scopes));
        }
      },
    };
  }

  /** Retries an idempotent store operation in the background for about a minute. */
  private retry(op: () => Promise<void>, attempt = 0): void {
    if (attempt >= 8) return;
    const timer = setTimeout(() => {
      op().catch(() => this.retry(op, attempt + 1));
    }, Math.min(250 * 2 ** attempt, 16_000));
    timer.unref();
  }

  /** Forgets every failure of an email (its password was reset). */
  async clear(email: string): Promise<void> {
    await this.guard(() => this.store.clear(emailDigest(email)));
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
    const where = decision.reason === 'ip' ? 'from this address' : decision.reason === 'device' ? 'from this device' : 'from anywhere';
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
