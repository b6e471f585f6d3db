import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { RedisClient } from '../rate-limit/redis.js';
import { CACHE_MAX_AGE_MS, UNANNOUNCED_MARGIN_MS, type AuthEpoch } from './invalidation.js';

// Both scripts read Redis's clock (TIME) before they write: `redis.replicate_commands()` lets
// Redis before 5.0 replicate their effects rather than the script (a no-op from 5.0 on).

/**
 * Renews this instance's lease in the member set (score: when it ends, by Redis's clock) and
 * publishes a heartbeat to the instance's own channel. KEYS[1] members; ARGV: id, lease ms,
 * channel, message.
 */
const HEARTBEAT = `
redis.replicate_commands()
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1`;

/**
 * Announces a change: drops expired leases, publishes the change, and returns how many
 * subscriptions received it and the instances whose lease still holds, each of which must
 * acknowledge. KEYS[1] members; ARGV: channel, message.
 */
const ANNOUNCE = `
redis.replicate_commands()
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local members = redis.call('ZRANGE', KEYS[1], 0, -1)
local receivers = redis.call('PUBLISH', ARGV[1], ARGV[2])
return { receivers, members }`;

/** A new subscription after a lost one waits this long, doubling up to RESUBSCRIBE_MAX_MS. */
const RESUBSCRIBE_MIN_MS = 50;
const RESUBSCRIBE_MAX_MS = 2000;

export interface RedisEpochOptions {
  /** The shared client for commands (rate-limit/redis.ts connectRedis: deadlines, reconnection). */
  redis: RedisClient;
  /** Opens a connection for SUBSCRIBE (rate-limit/redis.ts openRedisSubscriber). */
  openSubscriber: () => Promise<RedisClient>;
  /** Prefix of every key and channel. */
  prefix: string;
  logger: Logger;
  /** CACHE_MAX_AGE_MS: also how long a heartbeat vouches for this instance's subscription. */
  maxAgeMs?: number;
  /** How long a change waits for every instance's acknowledgement before it waits out maxAgeMs. */
  ackTimeoutMs?: number;
}

/**
 * PostgreSQL with Redis: changes are pushed to every instance, and a request reads nothing over
 * the network (docs/architecture.md "Credential cache").
 *
 * - Each instance subscribes to one channel of changes and one of its own. Every change an
 *   instance makes is published there after it committed; every instance that receives it bumps
 *   its local epoch (its cache entries become useless), then acknowledges to the one that made it.
 *   The change is answered only once every instance whose lease holds (itself included) has
 *   acknowledged, and no subscription outside them received it.
 * - Each instance publishes a heartbeat to its own channel every maxAgeMs / 5, through the script
 *   that also renews its lease (maxAgeMs + LEASE_MARGIN_MS, by Redis's clock). A heartbeat sent at
 *   `s` and received proves that every change published before it was heard (one connection
 *   delivers in order), so the instance trusts its cache until `s + maxAgeMs` and no longer:
 *   an instance that stops hearing Redis falls back to the database by itself.
 * - A change some instance does not acknowledge in time (cut off, stalled, just died) is answered
 *   only after maxAgeMs + a margin from Redis's reply: by then that instance's last heartbeat has
 *   stopped vouching for it. A change that cannot be published at all waits the same after its
 *   commit, which the cache's maximum entry age covers whatever else happened.
 */
export class RedisEpoch implements AuthEpoch {
  readonly name = 'redis';
  readonly id = randomBytes(9).toString('base64url');
  private local = 0;
  private current = '0';
  /** performance.now() until which this instance has heard every change. */
  private freshUntil = 0;
  private subscriber: RedisClient | null = null;
  /** performance.now() when the current subscription was confirmed (Infinity: none). */
  private subscribedAt = Infinity;
  private readonly heartbeats = new Map<number, number>();
  private heartbeatSeq = 0;
  private lastHeard = 0;
  private changeSeq = 0;
  /** This instance's changes not answered yet: who acknowledged them. */
  private readonly waiting = new Map<number, { acks: Set<string>; heard: () => void }>();
  private resubscribeMs = RESUBSCRIBE_MIN_MS;
  private closed = false;
  private vouched: () => void = () => undefined;
  /** Settles once this instance first trusts its cache (startup waits for it, within a bound). */
  readonly ready = new Promise<void>((resolve) => {
    this.vouched = resolve;
  });
  private readonly timer: NodeJS.Timeout;
  private readonly redis: RedisClient;
  private readonly logger: Logger;
  private readonly maxAgeMs: number;
  private readonly ackTimeoutMs: number;
  private readonly membersKey: string;
  private readonly changesChannel: string;
  private readonly ownChannel: string;
  private readonly channelPrefix: string;

  constructor(private readonly options: RedisEpochOptions) {
    this.redis = options.redis;
    this.logger = options.logger;
    this.maxAgeMs = options.maxAgeMs ?? CACHE_MAX_AGE_MS;
    this.ackTimeoutMs = options.ackTimeoutMs ?? 200;
    this.membersKey = `${options.prefix}auth:instances`;
    this.changesChannel = `${options.prefix}auth:changes`;
    this.channelPrefix = `${options.prefix}auth:instance:`;
    this.ownChannel = `${this.channelPrefix}${this.id}`;
    this.timer = setInterval(() => this.beat(), Math.max(10, Math.floor(this.maxAgeMs / 5)));
    this.timer.unref();
    void this.subscribe();
  }

  /** Synchronous: the local epoch while the subscription is vouched for, else null (read the database). */
  read(): string | null {
    return performance.now() < this.freshUntil ? this.current : null;
  }

  async bump(): Promise<void> {
    this.advance();
    const seq = ++this.changeSeq;
    // Acknowledgements can arrive before Redis's reply to the publication: collect them from now.
    const wait = { acks: new Set<string>(), heard: () => {} };
    this.waiting.set(seq, wait);
    try {
      let receivers: number;
      let members: string[];
      try {
        [receivers, members] = (await this.redis.sendCommand(['EVAL', ANNOUNCE, '1', this.membersKey, this.changesChannel, `${this.id} ${seq}`])) as unknown as [number, string[]];
      } catch (err) {
        this.logger.error({ err }, 'could not announce a change of credentials through Redis: answering once every cache entry has expired');
        await sleep(this.maxAgeMs + UNANNOUNCED_MARGIN_MS);
        return;
      }
      const repliedAt = performance.now();
      // Every member, this instance included, acknowledges once it has heard the change. A
      // subscription that is no member's (a member set lost to a flush) cannot be waited for.
      const complete = () => members.every((m) => wait.acks.has(m));
      const acknowledged = receivers <= members.length && (complete() || await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), this.ackTimeoutMs);
        wait.heard = () => {
          if (!complete()) return;
          clearTimeout(timer);
          resolve(true);
        };
      }));
      if (acknowledged) return;
      this.logger.warn({ unacknowledged: members.filter((m) => !wait.acks.has(m)), receivers, members: members.length }, 'not every instance acknowledged a change of credentials in time: answering once none can still trust its cache');
      await sleep(repliedAt + this.maxAgeMs + UNANNOUNCED_MARGIN_MS - performance.now());
    } finally {
      this.waiting.delete(seq);
    }
  }

  /** Leaves the member set (a change no longer waits for this instance) and unsubscribes. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    this.freshUntil = 0;
    await this.redis.zRem(this.membersKey, this.id).catch(() => undefined);
    this.drop();
  }

  /** Every cache entry stamped before now becomes useless. */
  private advance(): void {
    this.local++;
    this.current = String(this.local);
  }

  private async subscribe(): Promise<void> {
    if (this.closed || this.subscriber) return;
    let client: RedisClient;
    try {
      client = await this.options.openSubscriber();
    } catch (err) {
      this.logger.error({ err }, 'could not open a Redis connection for credential changes');
      this.retry();
      return;
    }
    this.subscriber = client;
    const lost = () => {
      if (this.subscriber !== client) return;
      this.logger.warn('the subscription to credential changes ended: reading credentials from the database until it is back');
      this.drop();
      this.retry();
    };
    client.on('error', lost);
    client.on('end', lost);
    try {
      await client.connect();
      await client.subscribe([this.changesChannel, this.ownChannel], (message, channel) => this.heard(channel, message));
    } catch {
      lost();
      return;
    }
    if (this.subscriber !== client) return;
    // Changes published before the subscription was confirmed may have gone unheard: nothing
    // cached before now is used, and only heartbeats sent from now on vouch for this one.
    this.advance();
    this.subscribedAt = performance.now();
    this.lastHeard = this.subscribedAt;
    this.resubscribeMs = RESUBSCRIBE_MIN_MS;
    this.beat();
  }

  private retry(): void {
    if (this.closed) return;
    const wait = this.resubscribeMs;
    this.resubscribeMs = Math.min(this.resubscribeMs * 2, RESUBSCRIBE_MAX_MS);
    setTimeout(() => void this.subscribe(), wait).unref();
  }

  /** Forgets the current subscription: nothing is trusted until a new one is vouched for. */
  private drop(): void {
    const client = this.subscriber;
    this.subscriber = null;
    this.subscribedAt = Infinity;
    this.freshUntil = 0;
    this.advance();
    this.heartbeats.clear();
    if (client) {
      client.removeAllListeners();
      client.on('error', () => undefined);
      client.destroy();
    }
  }

  private beat(): void {
    if (this.closed || !this.subscriber || this.subscribedAt === Infinity) return;
    const now = performance.now();
    // Subscribed, yet no heartbeat came back for a while: the connection went silent.
    if (now - this.lastHeard > Math.max(2 * this.maxAgeMs, 1000)) {
      this.logger.warn('no heartbeat came back on the subscription to credential changes: opening a new one');
      this.drop();
      this.retry();
      return;
    }
    const seq = ++this.heartbeatSeq;
    this.heartbeats.set(seq, now);
    // Replies that never come are forgotten: keep the last few dozen.
    if (this.heartbeats.size > 50) this.heartbeats.delete(this.heartbeats.keys().next().value!);
    this.redis.sendCommand(['EVAL', HEARTBEAT, '1', this.membersKey, this.id, String(this.maxAgeMs + LEASE_MARGIN_MS), this.ownChannel, `hb ${seq}`]).catch(() => undefined);
  }

  private heard(channel: string, message: string): void {
    this.lastHeard = performance.now();
    const [kind, a, b] = message.split(' ');
    if (channel === this.changesChannel) {
      // `kind` is the instance that made the change, `a` its sequence number.
      this.advance();
      if (kind === this.id) this.acknowledged(Number(a), this.id);
      else if (kind && a) this.redis.publish(`${this.channelPrefix}${kind}`, `ack ${a} ${this.id}`).catch(() => undefined);
      return;
    }
    if (kind === 'hb') {
      const seq = Number(a);
      const sentAt = this.heartbeats.get(seq);
      if (sentAt === undefined || sentAt < this.subscribedAt) return;
      for (const n of this.heartbeats.keys()) if (n <= seq) this.heartbeats.delete(n);
      this.freshUntil = Math.max(this.freshUntil, sentAt + this.maxAgeMs);
      this.vouched();
    } else if (kind === 'ack' && b) {
      this.acknowledged(Number(a), b);
    }
  }

  private acknowledged(seq: number, member: string): void {
    const wait = this.waiting.get(seq);
    if (!wait) return;
    wait.acks.add(member);
    wait.heard();
  }
}

/**
 * How much longer an instance's lease lasts in Redis than its last heartbeat vouches for it: a
 * change stops waiting for an instance only once that instance can no longer trust its cache.
 */
const LEASE_MARGIN_MS = 500;

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}
