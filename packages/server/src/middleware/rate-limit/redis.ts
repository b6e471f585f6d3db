import type { createClient } from 'redis';
import type { Logger } from 'pino';

const CONNECT_TIMEOUT_MS = 2000;
const COMMAND_TIMEOUT_MS = 1000;

function newClient(create: typeof createClient, url: string) {
  return create({
    url,
    disableOfflineQueue: true,
    commandOptions: { timeout: COMMAND_TIMEOUT_MS },
    socket: { connectTimeout: CONNECT_TIMEOUT_MS, reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, 2000) },
  });
}

export type RedisClient = ReturnType<typeof newClient>;

/**
 * A Redis client for the shared counters that fails fast: while Redis is unreachable,
 * commands are refused at once (no offline queue) or time out after a second, so a
 * request answers 503 instead of hanging; the client reconnects in the background.
 * Startup waits for the first connection at most CONNECT_TIMEOUT_MS, then goes on.
 */
export async function connectRedis(url: string, logger: Logger): Promise<RedisClient> {
  // Loaded only when REDIS_URL is set: a single-node server never pays for the client.
  const { createClient: create } = await import('redis');
  const client = newClient(create, url);
  let lastLogged = 0;
  client.on('error', (err: unknown) => {
    // Emitted on every failed reconnect: log the outage, not each retry.
    if (Date.now() - lastLogged > 10_000) {
      lastLogged = Date.now();
      logger.error({ err }, 'Redis unreachable: rate-limited routes answer 503 until it is back');
    }
  });
  client.on('ready', () => logger.info('Redis connected: rate-limit counters are shared'));
  const connected = client.connect().then(() => true, () => false);
  const timeout = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), CONNECT_TIMEOUT_MS).unref());
  if (!(await Promise.race([connected, timeout]))) logger.error('Redis did not answer at startup: rate-limited routes answer 503 until it does');
  return client;
}
