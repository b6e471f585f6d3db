import path from 'node:path';

/** Everything the server reads from its environment (API.md "Starting the server"). */
export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | null;
  redisUrl: string | null;
  smtpUrl: string | null;
  baseUrl: string;
  requireEmailVerification: boolean;
  trustProxy: boolean;
  rateLimits: string | null;
  creditCosts: Record<string, number>;
  passwordMinLength: number;
  /** Body size limit for JSON requests, bytes. */
  bodyLimit: number;
  /** Body size limit of intake webhook payloads, bytes. */
  intakeBodyLimit: number;
  /** Sessions: idle timeout and absolute lifetime, seconds. */
  sessionIdleSeconds: number;
  sessionAbsoluteSeconds: number;
  /** A session older than this cannot mint keys (SECURITY: fresh sign-in), seconds. */
  freshSessionSeconds: number;
  trustedOrigins: string[];
  /**
   * Signs device cookies (auth/cookies.ts). Unset: a random key made once and kept in the
   * database, so every instance of one database accepts the others' cookies.
   */
  deviceCookieSecret: string | null;
  logLevel: string;
  /** PostgreSQL: how long a request waits for a pool connection (or a new one to open), ms. */
  pgConnectTimeoutMs: number;
  /** PostgreSQL: how long one query may take before it fails (client side) and is cancelled (server side), ms. */
  pgQueryTimeoutMs: number;
  /** Redis: how long one command may wait for its reply before the request answers 503, ms. */
  redisCommandTimeoutMs: number;
  /** HTTP: a client must send its request headers within this, ms (slow-header clients are cut). */
  headersTimeoutMs: number;
  /** HTTP: a client must send its whole request within this, ms. */
  requestTimeoutMs: number;
  /** HTTP: an idle keep-alive connection is closed after this, ms. */
  keepAliveTimeoutMs: number;
  /** HTTP: open connections one client address may hold at once (0 = no cap). */
  maxConnectionsPerIp: number;
  /**
   * Tests may move the clock (POST /__test/clock): only with ACCT_TEST_CLOCK=1 and NODE_ENV=test
   * together, on a loopback address, so no single stray variable opens it on a reachable server.
   */
  testClock: boolean;
  /** Audit rows older than this many days are pruned by the server (0 = kept forever). */
  auditRetentionDays: number;
  /** How often audited changes move from the outbox into the indexed log and webhook deliveries, ms (audit/outbox.ts). */
  auditFlushMs: number;
  /**
   * SQLite: commits per second from which WAL checkpoints move to a worker thread (db/checkpointer.ts).
   * 300 by default: beyond what sign-ins reach (Argon2 holds them near 200 a second on two cores,
   * and their latency is Argon2's), within what the token endpoint and key or project writes reach.
   */
  sqliteCheckpointWorkerCommits: number;
  /** Webhook URLs may be http and point at private, loopback and link-local addresses (tests, intranets). */
  webhooksAllowPrivate: boolean;
  /** One webhook delivery attempt may take this long in all (connect, send, answer), ms; at most 10 s. */
  webhookTimeoutMs: number;
  /** How often the delivery worker looks for due deliveries, ms. */
  webhookPollMs: number;
  /** Encrypts webhook signing secrets at rest; unset: a random key kept in the database (server_keys). */
  webhookSecretsKey: string | null;
  /**
   * `pnpm bench` only: no audit rows and no webhook outbox, the baseline their cost is measured
   * against. Needs ACCT_BENCH_NO_AUDIT=1 and NODE_ENV=benchmark together; the server warns loudly.
   */
  benchNoAudit: boolean;
  /** ACCT_CREDENTIAL_CACHE (default on): keep resolved credentials in memory (docs/architecture.md "Credential cache"). */
  credentialCache: boolean;
  /** ACCT_CREDENTIAL_CACHE_MAX_AGE_MS: the longest an instance trusts a cached credential, ms. */
  credentialCacheMaxAgeMs: number;
  /**
   * Tests hash with Argon2id's smallest cost: only with ACCT_TEST_FAST_HASHES=1 and NODE_ENV=test
   * on a loopback host, as the test clock.
   */
  testHashes: boolean;
  /** The OAuth 2.1 authorization server (docs/oauth.md). */
  oauth: OAuthConfig;
}

export interface OAuthConfig {
  /** Access token lifetime, seconds. */
  accessTokenSeconds: number;
  /** Refresh token lifetime (each rotation starts a new one), seconds. */
  refreshTokenSeconds: number;
  /** A refresh token presented again within this many seconds of its rotation gets the same new pair. */
  refreshRetrySeconds: number;
  /** RFC 7591 dynamic client registration is open. */
  registration: boolean;
  /** Client ID Metadata Documents may be served from loopback addresses over http (tests, local development). */
  allowLoopbackClients: boolean;
  /** Device grant polling interval, seconds. */
  deviceIntervalSeconds: number;
  /** How long a device code (and its user code) can be approved and polled, seconds. */
  deviceCodeSeconds: number;
}

function bool(value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value === '') return fallback;
  return ['1', 'true', 'yes', 'on'].includes(value.toLowerCase());
}

function int(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number, got ${JSON.stringify(value)}`);
  return n;
}

/** A timeout: a whole number of milliseconds above zero (0 would mean "wait forever" to the libraries). */
function positive(name: string, value: string | undefined, fallback: number): number {
  const n = int(name, value, fallback);
  if (n === 0) throw new Error(`${name} must be above 0 (milliseconds)`);
  return n;
}

function costs(value: string | undefined): Record<string, number> {
  const defaults = { 'projects.create': 1 };
  if (!value) return defaults;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new Error('ACCT_CREDIT_COSTS must be JSON, e.g. {"projects.create": 1}');
  }
  if (!parsed || typeof parsed !== 'object' || Object.values(parsed).some((v) => !Number.isInteger(v) || (v as number) < 0))
    throw new Error('ACCT_CREDIT_COSTS must map operation names to whole numbers of credits');
  return { ...defaults, ...(parsed as Record<string, number>) };
}

function deviceCookieSecret(value: string | undefined): string | null {
  if (!value) return null;
  if (value.length < 32) throw new Error('ACCT_DEVICE_COOKIE_SECRET must be at least 32 characters (e.g. `openssl rand -base64 32`)');
  return value;
}

function secretsKey(value: string | undefined): string | null {
  if (!value) return null;
  if (value.length < 32) throw new Error('ACCT_WEBHOOK_SECRETS_KEY must be at least 32 characters (e.g. `openssl rand -base64 32`)');
  return value;
}

function cacheMaxAge(value: string | undefined): number {
  const n = positive('ACCT_CREDENTIAL_CACHE_MAX_AGE_MS', value, 500);
  // A change that cannot be announced waits this long before it is answered.
  if (n > 10_000) throw new Error('ACCT_CREDENTIAL_CACHE_MAX_AGE_MS must be at most 10000 (a change Redis cannot announce waits this long)');
  return n;
}

/** Reads and checks the configuration; throws with a readable message on bad values. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const port = int('PORT', env['PORT'], 3000);
  const host = env['HOST'] || '127.0.0.1';
  const baseUrl = (env['ACCT_BASE_URL'] || '').replace(/\/+$/, '');
  if (baseUrl && !/^https?:\/\//.test(baseUrl)) throw new Error('ACCT_BASE_URL must start with http:// or https://');
  const headersTimeoutMs = positive('ACCT_HEADERS_TIMEOUT_MS', env['ACCT_HEADERS_TIMEOUT_MS'], 10_000);
  const requestTimeoutMs = positive('ACCT_REQUEST_TIMEOUT_MS', env['ACCT_REQUEST_TIMEOUT_MS'], 30_000);
  if (headersTimeoutMs > requestTimeoutMs) throw new Error('ACCT_HEADERS_TIMEOUT_MS must not be above ACCT_REQUEST_TIMEOUT_MS');
  return {
    port,
    host,
    dataDir: path.resolve(env['ACCT_DATA_DIR'] || './data'),
    databaseUrl: env['DATABASE_URL'] || null,
    redisUrl: env['REDIS_URL'] || null,
    smtpUrl: env['SMTP_URL'] || null,
    baseUrl,
    requireEmailVerification: bool(env['ACCT_REQUIRE_EMAIL_VERIFICATION'], false),
    trustProxy: bool(env['TRUST_PROXY'], false),
    rateLimits: env['ACCT_RATE_LIMITS'] || null,
    creditCosts: costs(env['ACCT_CREDIT_COSTS']),
    passwordMinLength: int('ACCT_PASSWORD_MIN_LENGTH', env['ACCT_PASSWORD_MIN_LENGTH'], 15),
    bodyLimit: int('ACCT_BODY_LIMIT', env['ACCT_BODY_LIMIT'], 64 * 1024),
    intakeBodyLimit: int('ACCT_INTAKE_BODY_LIMIT', env['ACCT_INTAKE_BODY_LIMIT'], 256 * 1024),
    sessionIdleSeconds: int('ACCT_SESSION_IDLE_SECONDS', env['ACCT_SESSION_IDLE_SECONDS'], 7 * 86400),
    sessionAbsoluteSeconds: Math.min(int('ACCT_SESSION_MAX_SECONDS', env['ACCT_SESSION_MAX_SECONDS'], 30 * 86400), 30 * 86400),
    freshSessionSeconds: int('ACCT_FRESH_SESSION_SECONDS', env['ACCT_FRESH_SESSION_SECONDS'], 86400),
    trustedOrigins: (env['ACCT_TRUSTED_ORIGINS'] || '').split(',').map((s) => s.trim()).filter(Boolean),
    deviceCookieSecret: deviceCookieSecret(env['ACCT_DEVICE_COOKIE_SECRET']),
    logLevel: env['LOG_LEVEL'] || 'info',
    pgConnectTimeoutMs: positive('ACCT_PG_CONNECT_TIMEOUT_MS', env['ACCT_PG_CONNECT_TIMEOUT_MS'], 1000),
    pgQueryTimeoutMs: positive('ACCT_PG_QUERY_TIMEOUT_MS', env['ACCT_PG_QUERY_TIMEOUT_MS'], 1000),
    redisCommandTimeoutMs: positive('ACCT_REDIS_COMMAND_TIMEOUT_MS', env['ACCT_REDIS_COMMAND_TIMEOUT_MS'], 200),
    headersTimeoutMs,
    requestTimeoutMs,
    keepAliveTimeoutMs: positive('ACCT_KEEP_ALIVE_TIMEOUT_MS', env['ACCT_KEEP_ALIVE_TIMEOUT_MS'], 5000),
    maxConnectionsPerIp: int('ACCT_MAX_CONNECTIONS_PER_IP', env['ACCT_MAX_CONNECTIONS_PER_IP'], 1000),
    auditRetentionDays: int('ACCT_AUDIT_RETENTION_DAYS', env['ACCT_AUDIT_RETENTION_DAYS'], 365),
    auditFlushMs: positive('ACCT_AUDIT_FLUSH_MS', env['ACCT_AUDIT_FLUSH_MS'], 200),
    sqliteCheckpointWorkerCommits: positive('ACCT_SQLITE_CHECKPOINT_WORKER_COMMITS', env['ACCT_SQLITE_CHECKPOINT_WORKER_COMMITS'], 300),
    webhooksAllowPrivate: bool(env['ACCT_WEBHOOKS_ALLOW_PRIVATE'], false),
    webhookTimeoutMs: Math.min(positive('ACCT_WEBHOOK_TIMEOUT_MS', env['ACCT_WEBHOOK_TIMEOUT_MS'], 10_000), 10_000),
    webhookPollMs: positive('ACCT_WEBHOOK_POLL_MS', env['ACCT_WEBHOOK_POLL_MS'], 500),
    webhookSecretsKey: secretsKey(env['ACCT_WEBHOOK_SECRETS_KEY']),
    benchNoAudit: env['ACCT_BENCH_NO_AUDIT'] === '1' && env['NODE_ENV'] === 'benchmark',
    credentialCache: bool(env['ACCT_CREDENTIAL_CACHE'], true),
    credentialCacheMaxAgeMs: cacheMaxAge(env['ACCT_CREDENTIAL_CACHE_MAX_AGE_MS']),
    oauth: {
      accessTokenSeconds: Math.max(60, int('ACCT_OAUTH_ACCESS_TOKEN_SECONDS', env['ACCT_OAUTH_ACCESS_TOKEN_SECONDS'], 3600)),
      refreshTokenSeconds: Math.max(60, int('ACCT_OAUTH_REFRESH_TOKEN_SECONDS', env['ACCT_OAUTH_REFRESH_TOKEN_SECONDS'], 30 * 86400)),
      refreshRetrySeconds: Math.min(60, int('ACCT_OAUTH_REFRESH_RETRY_SECONDS', env['ACCT_OAUTH_REFRESH_RETRY_SECONDS'], 10)),
      registration: bool(env['ACCT_OAUTH_REGISTRATION'], true),
      allowLoopbackClients: bool(env['ACCT_OAUTH_ALLOW_LOOPBACK_CLIENTS'], false),
      deviceIntervalSeconds: Math.max(1, int('ACCT_OAUTH_DEVICE_INTERVAL', env['ACCT_OAUTH_DEVICE_INTERVAL'], 5)),
      deviceCodeSeconds: Math.min(3600, Math.max(60, int('ACCT_OAUTH_DEVICE_CODE_SECONDS', env['ACCT_OAUTH_DEVICE_CODE_SECONDS'], 600))),
    },
    testClock: env['ACCT_TEST_CLOCK'] === '1' && env['NODE_ENV'] === 'test' && ['127.0.0.1', '::1', 'localhost'].includes(host),
    testHashes: env['ACCT_TEST_FAST_HASHES'] === '1' && env['NODE_ENV'] === 'test' && ['127.0.0.1', '::1', 'localhost'].includes(host),
  };
}
