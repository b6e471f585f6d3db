import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createApp } from './app.js';
import { answerClientErrors, MAX_HEADER_SIZE } from './http/client-errors.js';
import { loadConfig, type Config } from './config.js';
import type { Logger } from 'pino';
import { createLogger } from './logger.js';
import type { AppDeps } from './deps.js';
import { dialectOf, migrate, openDatabase, sqliteFile, type DB } from './db/database.js';
import { systemClock } from './time/clock.js';
import { createMailer } from './mail/mailer.js';
import { KeyVerifier } from './keys/key-verifier.js';
import { warmUp } from './auth/auth.service.js';
import { useTestHashCost } from './auth/hashing.js';
import { createRateLimiting, type RateLimiting } from './rate-limit/create-rate-limiting.js';
import { CredentialCache } from './auth/credential-cache.js';
import { SqliteEpoch, withAuthWrites, type AuthEpoch } from './auth/invalidation.js';
import { RedisEpoch } from './auth/redis-epoch.js';
import { openRedisSubscriber } from './rate-limit/redis.js';
import { OffsetClock } from './time/test-clock.js';
import type { DeliveryWorker } from './webhooks/worker.js';
import { AuditFlusher } from './audit/outbox.js';

import { VERSION } from './version.js';

/** The server's own secret, made once per data dir (0600), keys the verification cache. */
function serverSecret(dataDir: string): Buffer {
  const file = path.join(dataDir, 'server-secret');
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  try {
    const existing = fs.readFileSync(file);
    if (existing.length === 32) return existing;
  } catch {
    // first start: made below
  }
  const secret = randomBytes(32);
  fs.writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

/**
 * What the credential cache is checked against (docs/architecture.md "Credential cache"): SQLite's
 * data_version (exact across processes on one file), Redis with PostgreSQL, or nothing with
 * PostgreSQL alone, where other instances could change the database unseen.
 */
function chooseAuthEpoch(config: Config, db: DB, limiting: RateLimiting, logger: Logger): AuthEpoch | null {
  if (dialectOf(config) === 'sqlite') return new SqliteEpoch(db, sqliteFile(config));
  if (limiting.redis && config.redisUrl) {
    const url = config.redisUrl;
    return new RedisEpoch({
      redis: limiting.redis, openSubscriber: () => openRedisSubscriber(url), prefix: limiting.redisPrefix, logger,
      maxAgeMs: config.credentialCacheMaxAgeMs, ackTimeoutMs: config.redisCommandTimeoutMs,
    });
  }
  if (config.credentialCache) logger.info('PostgreSQL without REDIS_URL: credentials are read from the database on every request (set REDIS_URL to cache them)');
  return null;
}

/** Starts the HTTP server: migrate, listen, drain on SIGTERM. */
export async function serve(): Promise<void> {
  // Everything the server writes (database, WAL, outbox, server secret) is for its user alone.
  process.umask(0o077);
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  // Migrations run without the serving deadlines (a migration may rightly take long), then the
  // server opens the database with them (docs/operations.md "Dependency failures").
  const migrationDb = await openDatabase(config);
  const applied = await migrate(migrationDb).finally(() => migrationDb.destroy());
  if (applied.length) logger.info({ migrations: applied }, 'migrations applied');
  const opened = await openDatabase(config, { connectMs: config.pgConnectTimeoutMs, queryMs: config.pgQueryTimeoutMs }, logger);
  let authEpoch: AuthEpoch | null = null;
  // Every write that changes what authentication reads is seen here, whether or not anything caches.
  const db = withAuthWrites(opened, () => authEpoch);

  let listeningUrl = `http://${config.host}:${config.port}`;
  const secret = serverSecret(config.dataDir);
  const testClock = config.testClock ? new OffsetClock() : undefined;
  if (testClock) logger.warn('TEST CLOCK ENABLED (ACCT_TEST_CLOCK=1, NODE_ENV=test): POST /__test/clock moves this server\'s time. Never run a real server like this.');
  if (config.testHashes) {
    useTestHashCost();
    logger.warn('TEST HASHES ENABLED (ACCT_TEST_FAST_HASHES=1, NODE_ENV=test): passwords and keys are hashed with Argon2id at its smallest cost. Never run a real server like this.');
  }
  const clock = testClock ?? systemClock;
  if (config.benchNoAudit) {
    logger.warn('BENCHMARK BASELINE (ACCT_BENCH_NO_AUDIT=1, NODE_ENV=benchmark): no audit log, no webhook events. Never run a real server like this.');
    (await import('./audit/audit.js')).stopRecordingForBenchmark();
  }
  const limiting = await createRateLimiting(config, { clock, logger });
  authEpoch = chooseAuthEpoch(config, opened, limiting, logger);
  // A new instance answers from memory once it hears the others' changes: wait for that a little.
  if (authEpoch instanceof RedisEpoch) await Promise.race([authEpoch.ready, new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
  const deps: AppDeps = {
    config,
    db,
    clock,
    logger,
    mailer: createMailer({ smtpUrl: config.smtpUrl, outboxDir: path.join(config.dataDir, 'outbox'), logger }),
    serverSecret: secret,
    keyVerifier: new KeyVerifier(secret),
    baseUrl: () => config.baseUrl || listeningUrl,
    version: VERSION,
    rateLimits: limiting.rateLimits,
    signInLockout: limiting.signInLockout,
    authEpoch,
    credentialCache: authEpoch && config.credentialCache ? new CredentialCache(authEpoch, secret, clock, config.credentialCacheMaxAgeMs) : null,
    ...(testClock ? { testClock } : {}),
  };
  await warmUp();
  const app = createApp(deps);
  const server = createHttpServer(app, config, logger);
  const inFlight = trackInFlight(server);
  // The webhook worker (and its https client) loads once the server listens: startup does not wait for it.
  let worker: DeliveryWorker | null = null;
  const auditFlusher = new AuditFlusher(db, config.auditFlushMs, logger);
  server.once('listening', () => {
    auditFlusher.start();
    void import('./webhooks/worker.js').then(({ DeliveryWorker }) => {
      if (stopping) return;
      worker = new DeliveryWorker(deps);
      worker.start();
    });
  });
  server.listen(config.port, config.host);
  server.on('error', (err) => {
    logger.fatal({ err }, 'could not listen');
    process.exit(1);
  });
  server.on('listening', () => {
    const { port } = server.address() as AddressInfo;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    listeningUrl = `http://${host}:${port}`;
    process.stdout.write(`listening on ${listeningUrl}\n`);
  });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'draining');
    // Relay polls (acct webhooks listen) wait up to 25 s for events: answer them now.
    void import('./webhooks/relay.js').then(({ endRelayPolls }) => endRelayPolls());
    // Stop accepting, let in-flight requests finish, then close the database.
    server.close(async () => {
      // A database that went away must not keep the process from exiting.
      const giveUp = new Promise((resolve) => setTimeout(resolve, 5000).unref());
      await Promise.race([worker?.stop(), giveUp]);
      await Promise.race([auditFlusher.stop(), giveUp]);
      // Leave the instances a change waits for before the shared Redis client closes.
      await Promise.race([authEpoch?.close?.(), giveUp]);
      await Promise.race([Promise.allSettled([db.destroy(), limiting.close()]), giveUp]);
      logger.info('stopped');
      process.exit(0);
    });
    server.closeIdleConnections();
    // A response finished while draining leaves its keep-alive socket idle, and close() would
    // wait out the client's keep-alive timeout (5 s): ask clients to close, and close sockets
    // as they fall idle. Answers to requests already in flight say so too: a client that
    // reused their connection would have its next request reset by the idle sweep.
    for (const res of inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
    server.on('request', (_req, res) => res.setHeader('Connection', 'close'));
    setInterval(() => server.closeIdleConnections(), 50).unref();
    setTimeout(() => {
      logger.warn('drain timed out; closing connections');
      server.closeAllConnections();
    }, 10_000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

/**
 * The HTTP server with explicit timeouts (docs/operations.md "Connections"): a client must send
 * its headers within ACCT_HEADERS_TIMEOUT_MS and its whole request within ACCT_REQUEST_TIMEOUT_MS,
 * an idle keep-alive connection closes after ACCT_KEEP_ALIVE_TIMEOUT_MS, and one client address
 * holds at most ACCT_MAX_CONNECTIONS_PER_IP connections (further ones get 429 and are closed).
 */
function createHttpServer(app: http.RequestListener, config: Config, logger: Logger): http.Server {
  const server = http.createServer(
    {
      maxHeaderSize: MAX_HEADER_SIZE,
      headersTimeout: config.headersTimeoutMs,
      requestTimeout: config.requestTimeoutMs,
      keepAliveTimeout: config.keepAliveTimeoutMs,
      // How often Node checks the two request timeouts (default 30 s: a 10 s limit would mean up to 40 s).
      connectionsCheckingInterval: Math.max(250, Math.min(1000, Math.floor(config.headersTimeoutMs / 4))),
    },
    app,
  );
  // Oversized or unreadable requests get 400/414/431/408 in the envelope, never a reset.
  server.on('clientError', answerClientErrors(logger));
  if (config.maxConnectionsPerIp > 0) limitConnectionsPerIp(server, config.maxConnectionsPerIp, logger);
  return server;
}

function limitConnectionsPerIp(server: http.Server, max: number, logger: Logger): void {
  const open = new Map<string, number>();
  let lastLogged = 0;
  server.on('connection', (socket) => {
    const ip = (socket.remoteAddress ?? 'unknown').replace(/^::ffff:/, '');
    const count = (open.get(ip) ?? 0) + 1;
    if (count > max) {
      if (Date.now() - lastLogged > 10_000) {
        lastLogged = Date.now();
        logger.warn({ ip, limit: max }, 'connection refused: too many open connections from one address (ACCT_MAX_CONNECTIONS_PER_IP)');
      }
      const body = JSON.stringify({ success: false, status: 429, code: 'RATE_LIMITED', message: `Too many open connections from your address (at most ${max}); close some and retry`, data: null });
      socket.on('error', () => {});
      socket.end(`HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n${body}`);
      return;
    }
    open.set(ip, count);
    socket.once('close', () => {
      const left = (open.get(ip) ?? 1) - 1;
      if (left > 0) open.set(ip, left);
      else open.delete(ip);
    });
  });
}

/** The responses not yet finished, so SIGTERM can mark them `Connection: close`. */
function trackInFlight(server: http.Server): Set<http.ServerResponse> {
  const inFlight = new Set<http.ServerResponse>();
  server.on('request', (_req: http.IncomingMessage, res: http.ServerResponse) => {
    inFlight.add(res);
    const done = () => inFlight.delete(res);
    res.once('finish', done).once('close', done);
  });
  return inFlight;
}
