import type { createClient } from 'redis';
import type { Logger } from 'pino';

const CONNECT_TIMEOUT_MS = 2000;
/** ACCT_REDIS_COMMAND_TIMEOUT_MS's default. */
export const DEFAULT_REDIS_COMMAND_TIMEOUT_MS = 200;

function newClient(create: typeof createClient, url: string, commandTimeoutMs: number) {
  return create({
    url,
    disableOfflineQueue: true,
    // node-redis times a command out only until it is written; the reply is bounded by `withDeadline`.
    commandOptions: { timeout: commandTimeoutMs },
    socket: { connectTimeout: CONNECT_TIMEOUT_MS, reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, 2000) },
  });
}

export type RedisClient = ReturnType<typeof newClient>;

/**
 * node-redis's createClient, loaded only when REDIS_URL is set: a single-node server never pays
 * for the client. `redis` is CommonJS: its exports are read off the default export, the one shape
 * both Node's own loader and the bundle (esbuild gives a lazily imported CommonJS chunk only
 * `default`) give.
 */
async function loadCreateClient(): Promise<typeof createClient> {
  return (await import('redis')).default.createClient;
}

/** A Redis command that got no reply in time: the request answers 503 like a refused connection. */
export class RedisTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(ms: number) {
    super(`Redis did not answer within ${ms} ms`);
  }
}

/** Methods that manage the client rather than send a command: never given a deadline. */
const LIFECYCLE = new Set<PropertyKey>(['connect', 'destroy', 'close', 'quit', 'disconnect', 'on', 'once', 'off', 'addListener', 'removeListener', 'removeAllListeners', 'emit', 'listeners', 'duplicate']);

/**
 * A Redis client for the shared counters that fails fast: while Redis is unreachable,
 * commands are refused at once (no offline queue); a command whose reply does not come within
 * `commandTimeoutMs` fails (so a stalled or silent Redis costs a request that long, never a hang),
 * and when no reply at all came since it was sent, the silent connection is replaced by a new
 * one, so the client heals as soon as the network does. Startup waits for the first connection
 * at most CONNECT_TIMEOUT_MS, then goes on. What a failing command means for a request is the
 * callers' policy (docs/operations.md "When Redis is unreachable").
 */
export async function connectRedis(url: string, logger: Logger, commandTimeoutMs = DEFAULT_REDIS_COMMAND_TIMEOUT_MS): Promise<RedisClient> {
  const create = await loadCreateClient();
  let lastLogged = 0;
  const logOutage = (err: unknown) => {
    // Emitted on every failed reconnect: log the outage, not each retry.
    if (Date.now() - lastLogged > 10_000) {
      lastLogged = Date.now();
      logger.error({ err }, 'Redis unreachable: sign-in and other unauthenticated routes answer 503, authenticated routes count per instance, until it is back');
    }
  };
  const open = () => {
    const client = newClient(create, url, commandTimeoutMs);
    client.on('error', logOutage);
    client.on('ready', () => logger.info('Redis connected: rate-limit counters are shared'));
    return client;
  };

  let current = open();
  const connected = current.connect().then(() => true, () => false);
  const timeout = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), CONNECT_TIMEOUT_MS).unref());
  if (!(await Promise.race([connected, timeout]))) logger.error('Redis did not answer at startup: sign-in and other unauthenticated routes answer 503 until it does');

  /** Throws the current connection away for a new one: the old one went silent. */
  const replace = () => {
    const silent = current;
    current = open();
    notReadySince = null;
    current.connect().catch(() => undefined);
    silent.destroy();
  };
  let lastReplyAt = Date.now();
  /** A command sent at `sentAt` on `client` timed out: if nothing at all was answered since, the connection is silent. */
  const timedOut = (client: RedisClient, sentAt: number) => {
    if (client !== current || lastReplyAt >= sentAt) return;
    logOutage(new RedisTimeoutError(commandTimeoutMs));
    replace();
  };
  // A connection whose handshake went unanswered is never ready, and node-redis would wait for it
  // forever (its connect timeout covers the TCP connect only): replace it, as a silent one above.
  let notReadySince: number | null = null;
  setInterval(() => {
    if (current.isReady || !current.isOpen) notReadySince = null;
    else if (notReadySince === null) notReadySince = Date.now();
    else if (Date.now() - notReadySince > CONNECT_TIMEOUT_MS) replace();
  }, 500).unref();

  const withDeadline = <T>(client: RedisClient, promise: Promise<T>): Promise<T> => {
    const sentAt = Date.now();
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      // Timers run before pending I/O: a busy event loop would time out a reply that already
      // arrived. setImmediate runs after I/O, so the reply, if it is there, wins.
      const timer = setTimeout(() => setImmediate(() => {
        if (settled) return;
        settled = true;
        reject(new RedisTimeoutError(commandTimeoutMs));
        timedOut(client, sentAt);
      }), commandTimeoutMs);
      promise.then(
        (value) => {
          clearTimeout(timer);
          lastReplyAt = Date.now();
          if (settled) return;
          settled = true;
          resolve(value);
        },
        (err: unknown) => {
          clearTimeout(timer);
          if (settled) return;
          settled = true;
          reject(err);
        },
      );
    });
  };
  /** `target`'s methods, each command's promise under the deadline; builders (multi) wrapped alike. */
  const guarded = <T extends object>(target: () => T, client: () => RedisClient): T => {
    const proxy: T = new Proxy(target(), {
      get(_initial, prop) {
        const self = target();
        const value: unknown = Reflect.get(self, prop, self);
        if (typeof value !== 'function') return value;
        if (LIFECYCLE.has(prop)) return value.bind(self);
        return (...args: unknown[]) => {
          const result: unknown = value.apply(self, args);
          if (result === self) return proxy;
          if (result instanceof Promise) return withDeadline(client(), result);
          if (result && typeof result === 'object' && (prop === 'multi' || prop === 'MULTI')) {
            const multi = result;
            const on = client();
            return guarded(() => multi, () => on);
          }
          return result;
        };
      },
    });
    return proxy;
  };
  return guarded(() => current, () => current);
}

/**
 * A connection for SUBSCRIBE alone (a subscribed connection can send nothing else), without the
 * deadlines or the reconnection of `connectRedis`: its owner (auth/redis-epoch.ts) must know when
 * a subscription ended, since messages sent meanwhile are lost, and opens a new one itself.
 */
export async function openRedisSubscriber(url: string): Promise<RedisClient> {
  const create = await loadCreateClient();
  return create({
    url,
    disableOfflineQueue: true,
    socket: { connectTimeout: CONNECT_TIMEOUT_MS, reconnectStrategy: false },
  });
}
