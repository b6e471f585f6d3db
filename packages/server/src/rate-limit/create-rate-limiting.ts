import type { Logger } from 'pino';
import type { Clock } from '../time/clock.js';
import { MemoryFailureStore, RedisFailureStore, SignInLockout } from '../auth/lockout.js';
import { loadRateLimitConfig } from './rate-limit-config.js';
import { RateLimits } from './rate-limits.js';
import { connectRedis, type RedisClient } from './redis.js';

/** The request limits and the sign-in lockout, sharing one store: memory, or Redis with REDIS_URL. */
export interface RateLimiting {
  rateLimits: RateLimits;
  signInLockout: SignInLockout;
  /** The shared Redis client (REDIS_URL), and the prefix of every key acct keeps there. */
  redis: RedisClient | null;
  redisPrefix: string;
  close(): Promise<void>;
}

/**
 * Builds everything rate limiting needs from ACCT_RATE_LIMITS and REDIS_URL, once at startup
 * (throws a readable error on a bad ACCT_RATE_LIMITS). `off` disables the request limits with
 * a warning; the sign-in lockout stays on, as SECURITY.md asks of every deployment.
 */
export async function createRateLimiting(
  options: { rateLimits: string | null; redisUrl: string | null; redisCommandTimeoutMs?: number },
  deps: { clock: Clock; logger: Logger },
): Promise<RateLimiting> {
  const config = loadRateLimitConfig(options.rateLimits);
  if (!config.enabled) deps.logger.warn('ACCT_RATE_LIMITS=off: request rate limits are disabled (the sign-in lockout stays on); never run a public server like this');
  const redis: RedisClient | null = options.redisUrl ? await connectRedis(options.redisUrl, deps.logger, options.redisCommandTimeoutMs) : null;
  const failures = redis ? new RedisFailureStore(redis, `${config.redisPrefix}lock:`) : new MemoryFailureStore();
  return {
    rateLimits: new RateLimits(config, deps.clock, deps.logger, redis, redis ? (await import('rate-limit-redis')).RedisStore : null),
    signInLockout: new SignInLockout(failures, config.lockout, deps.clock, deps.logger),
    redis,
    redisPrefix: config.redisPrefix,
    // Called after the HTTP server drained: nothing is in flight, and a Redis that is down must not hold up the exit.
    close: async () => {
      if (redis?.isOpen) redis.destroy();
    },
  };
}
