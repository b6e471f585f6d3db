import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { DB } from './db/database.js';
import type { Clock } from './time/clock.js';
import type { Mailer } from './mail/mailer.js';
import type { KeyVerifier } from './keys/key-verifier.js';
import type { SignInLockout } from './auth/lockout.js';
import type { RateLimits } from './rate-limit/rate-limits.js';
import type { OffsetClock } from './time/test-clock.js';
import type { CredentialCache } from './auth/credential-cache.js';
import type { AuthEpoch } from './auth/invalidation.js';

/** What the app is built from; tests and main.ts assemble it, nothing reads globals. */
export interface AppDeps {
  config: Config;
  db: DB;
  clock: Clock;
  mailer: Mailer;
  logger: Logger;
  /** 32 random bytes kept in the data dir: keys the in-memory verification cache. */
  serverSecret: Buffer;
  keyVerifier: KeyVerifier;
  /** The public URL: ACCT_BASE_URL, else the address the server listens on. */
  baseUrl(): string;
  version: string;
  /** Request limits by IP, email and credential (ACCT_RATE_LIMITS, REDIS_URL). */
  rateLimits: RateLimits;
  /** Failed sign-ins: growing locks per (email, IP) and per email, block until password reset. */
  signInLockout: SignInLockout;
  /**
   * Resolved credentials and memberships kept in memory, checked against `authEpoch` on every
   * request (auth/credential-cache.ts); null when off (PostgreSQL without Redis, ACCT_CREDENTIAL_CACHE=off).
   */
  credentialCache?: CredentialCache | null;
  /** What changes to credentials, roles and memberships bump (auth/invalidation.ts); null: nothing caches. */
  authEpoch?: AuthEpoch | null;
  /** Set only when tests may move the clock (ACCT_TEST_CLOCK=1 with NODE_ENV=test, loopback). */
  testClock?: OffsetClock;
}
