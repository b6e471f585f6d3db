import type { ClientRateLimitInfo, IncrementResponse, Options, Store } from 'express-rate-limit';
import type { Logger } from 'pino';
import type { Clock } from '../time/clock.js';
import { HttpError } from '../http/http-error.js';
import { windowOf } from './window.js';

const LOG_EVERY_MS = 10_000;

/**
 * Turns any express-rate-limit store (its MemoryStore, rate-limit-redis) into fixed windows
 * aligned to the injected clock: the window's start is part of the key, so a new window is a
 * new counter and the reset time is known without asking the store. The inner store's own
 * expiry (a window from the first hit) only collects old keys.
 *
 * A store that fails (Redis unreachable) answers 503 UNAVAILABLE: the limiter fails closed,
 * unless it was given a `fallback` store: then it counts there (per instance) until the inner
 * store answers again (docs/operations.md "When Redis is unreachable").
 */
export class ClockWindowStore implements Store {
  readonly localKeys: boolean;
  private options: Options | undefined;
  private windowMs = 60_000;
  private lastLogged = 0;

  constructor(
    private readonly inner: Store,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly fallback: Store | null = null,
  ) {
    this.localKeys = inner.localKeys ?? false;
  }

  init(options: Options): void {
    this.options = options;
    this.windowMs = options.windowMs;
    this.initInner();
    this.fallback?.init?.(options);
  }

  async increment(key: string): Promise<IncrementResponse> {
    const { start, end } = windowOf(this.clock.now().getTime(), this.windowMs);
    const k = `${key}@${start}`;
    const { totalHits } = await this.guard((store) => store.increment(k));
    return { totalHits, resetTime: new Date(end) };
  }

  async get(key: string): Promise<ClientRateLimitInfo | undefined> {
    const { start, end } = windowOf(this.clock.now().getTime(), this.windowMs);
    const k = `${key}@${start}`;
    const info = this.inner.get ? await this.guard((store) => store.get?.(k)) : undefined;
    return { totalHits: info?.totalHits ?? 0, resetTime: new Date(end) };
  }

  async decrement(key: string): Promise<void> {
    const { start } = windowOf(this.clock.now().getTime(), this.windowMs);
    await this.guard((store) => store.decrement(`${key}@${start}`));
  }

  async resetKey(key: string): Promise<void> {
    const { start } = windowOf(this.clock.now().getTime(), this.windowMs);
    await this.guard((store) => store.resetKey(`${key}@${start}`));
  }

  private initInner(): void {
    if (!this.options || !this.inner.init) return;
    // rate-limit-redis loads its scripts here; when Redis is down it stays failed, so retry later.
    Promise.resolve(this.inner.init(this.options)).catch(() => undefined);
  }

  private async guard<T>(op: (store: Store) => T | Promise<T>): Promise<T> {
    try {
      return await op(this.inner);
    } catch (err) {
      const now = Date.now();
      if (now - this.lastLogged > LOG_EVERY_MS) {
        this.lastLogged = now;
        this.logger.error({ err }, this.fallback
          ? 'rate-limit store unreachable: this budget counts per instance until it is back'
          : 'rate-limit store unreachable: limited routes answer 503 until it is back');
      }
      this.initInner();
      if (this.fallback) return op(this.fallback);
      throw new HttpError('UNAVAILABLE', 'Rate-limit storage is unreachable; retry later');
    }
  }
}
