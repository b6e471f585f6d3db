import { hash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Router, type Request } from 'express';
import { sendEnvelope } from '../http/render/envelope.js';
import type { ParsedToken } from '@acct/shared';
import type { Clock } from '../time/clock.js';
import { requestIp } from '../http/client-ip.js';
import { CACHE_MAX_AGE_MS, type AuthEpoch } from './invalidation.js';

/**
 * What a resolver says about the caller it returns: until when (the injected clock, ms) the same
 * answer holds for the same token, and, for keys whose last-use IP is recorded, the IP it was
 * recorded for. A caller without a hint is never cached: a new credential kind opts in by giving one
 * AND listing the tables its answer reads in AUTH_TABLES (auth/invalidation.ts), so that their
 * changes bump the epoch.
 */
export interface CacheHint {
  until: number;
  ip?: string | null;
}

const hints = new WeakMap<object, CacheHint>();

/** Called by a credential kind's resolver on the caller it returns: see CacheHint. */
export function cacheable<T extends object>(caller: T, hint: CacheHint): T {
  hints.set(caller, hint);
  return caller;
}

interface Entry<T> {
  value: T;
  /** The epoch read before the database read this entry came from. */
  epoch: string;
  /** performance.now() when that epoch was read (before the database read). */
  stampedAt: number;
  until: number;
  ip?: string | null;
}

/** What a request learnt of the epoch, for the tenant check later in the same request. */
interface View {
  epoch: string | null;
  at: number;
}

/**
 * A per-instance cache of resolved credentials (session, PAT, team key → the caller with its user
 * row) and of memberships (user, organization → role), so that an authenticated request on
 * PostgreSQL need not read the database. Entries are keyed by a keyed SHA-256 digest of the token
 * (no token is held), and an entry is used only when
 * - the epoch (auth/invalidation.ts) read for this request, after it arrived, equals the epoch read
 *   before the database read the entry came from: any change that ends or narrows access bumps
 *   the epoch before it is answered, so the next request anywhere misses;
 * - it is younger than CACHE_MAX_AGE_MS on this instance's monotonic clock (bounds what a change
 *   that could not be announced can leave behind);
 * - the credential has not expired meanwhile, and a key is used from the IP its last use recorded.
 * Failed resolutions are never cached.
 */
export class CredentialCache {
  private readonly callers = new Map<string, Entry<object>>();
  private readonly memberships = new Map<string, Entry<{ role: string }>>();
  private readonly views = new WeakMap<Request, View>();
  private readonly prefix: string;
  private lastEpoch: string | null = null;
  /** Lookups answered from memory, and lookups that went to the database (tests, bench). */
  hits = 0;
  misses = 0;

  constructor(
    readonly epoch: AuthEpoch,
    secret: Buffer,
    private readonly clock: Clock,
    private readonly maxAgeMs = CACHE_MAX_AGE_MS,
    private readonly maxEntries = 100_000,
  ) {
    this.prefix = `credential-cache:${secret.toString('hex')}:`;
  }

  /**
   * Resolves a token through the cache: `load` runs the credential kind's resolver. The carrier is
   * part of the key: the principal records where its token arrived.
   */
  async resolve<T extends object>(token: ParsedToken, carrier: string, req: Request, load: () => Promise<T>): Promise<T> {
    const at = performance.now();
    // SQLite's epoch is read synchronously: no await, no extra turn of the microtask queue.
    const read = this.epoch.read();
    const epoch = read instanceof Promise ? await read : read;
    this.views.set(req, { epoch, at });
    if (epoch === null) {
      this.misses++;
      return load();
    }
    this.sweep(epoch);
    const key = hash('sha256', `${this.prefix}${carrier}:${token.token}`, 'base64');
    const entry = this.callers.get(key);
    if (entry && this.fresh(entry, epoch, at) && this.clock.now().getTime() < entry.until && (entry.ip === undefined || entry.ip === requestIp(req))) {
      this.hits++;
      return entry.value as T;
    }
    this.misses++;
    const value = await load();
    const hint = hints.get(value);
    if (hint) this.put(this.callers, key, { value, epoch, stampedAt: at, until: hint.until, ...(hint.ip !== undefined ? { ip: hint.ip } : {}) });
    return value;
  }

  /**
   * Another read that authentication-like endpoints repeat (an OAuth client's registration, a
   * token an introspection asks about), through the same epoch rules: `load`'s answer, null when
   * there is none (never cached), is used until `until(value)` (the injected clock, ms). The tables
   * `load` reads must be in AUTH_TABLES (auth/invalidation.ts). `key` is hashed like a token.
   */
  async remember<T extends object>(key: string, load: () => Promise<T | null | undefined>, until: (value: T) => number, req?: Request): Promise<T | null> {
    // A second lookup in one request uses the epoch the request already read (read after it arrived).
    let view = req ? this.views.get(req) : undefined;
    if (!view) {
      const at = performance.now();
      const read = this.epoch.read();
      view = { epoch: read instanceof Promise ? await read : read, at };
      if (req) this.views.set(req, view);
    }
    const { epoch, at } = view;
    if (epoch === null) return (await load()) ?? null;
    this.sweep(epoch);
    const digest = hash('sha256', `${this.prefix}remember:${key}`, 'base64');
    const entry = this.callers.get(digest);
    if (entry && this.fresh(entry, epoch, at) && this.clock.now().getTime() < entry.until) {
      this.hits++;
      return entry.value as T;
    }
    this.misses++;
    const value = (await load()) ?? null;
    if (value) this.put(this.callers, digest, { value, epoch, stampedAt: at, until: until(value) });
    return value;
  }

  /**
   * The caller's role in an organization, through the cache, against the epoch this request read
   * in `resolve`. Only memberships that exist are cached: a new one needs no invalidation.
   */
  async membership(req: Request, organizationId: string, userId: string, load: () => Promise<{ role: string } | undefined>): Promise<{ role: string } | undefined> {
    const view = this.views.get(req);
    if (!view || view.epoch === null) return load();
    const key = `${userId}\n${organizationId}`;
    const entry = this.memberships.get(key);
    if (entry && this.fresh(entry, view.epoch, view.at)) return entry.value;
    const row = await load();
    if (row) this.put(this.memberships, key, { value: { role: row.role }, epoch: view.epoch, stampedAt: view.at, until: Infinity });
    return row;
  }

  private fresh(entry: Entry<unknown>, epoch: string, at: number): boolean {
    return entry.epoch === epoch && at - entry.stampedAt < this.maxAgeMs;
  }

  /** A new epoch makes every entry useless: drop them rather than keep the memory. */
  private sweep(epoch: string): void {
    if (epoch === this.lastEpoch) return;
    this.lastEpoch = epoch;
    this.callers.clear();
    this.memberships.clear();
  }

  private put<V>(map: Map<string, Entry<V>>, key: string, entry: Entry<V>): void {
    map.delete(key);
    map.set(key, entry);
    if (map.size > this.maxEntries) {
      const oldest = map.keys().next().value;
      if (oldest !== undefined) map.delete(oldest);
    }
  }
}

/**
 * `GET /__test/credential-cache`: how many lookups the cache answered, so tests can tell a cached
 * answer from a database read. Mounted only where the test clock is (NODE_ENV=test, loopback).
 */
export function credentialCacheTestRoutes(cache: CredentialCache): Router {
  const r = Router();
  r.get('/__test/credential-cache', (_req, res) => {
    sendEnvelope(res, { status: 200, code: 'OK', message: 'Credential cache counters', data: { epoch: cache.epoch.name, hits: cache.hits, misses: cache.misses } });
  });
  return r;
}
