import http from 'node:http';
import https from 'node:https';
import { checkLiteral, DestinationError, guardedLookup } from './destination.js';

export interface Attempt {
  /** The receiver's status code; null when no answer came (refused, timed out, blocked). */
  statusCode: number | null;
  durationMs: number;
  /** Why the attempt failed; null on a 2xx. */
  error: string | null;
}

/** The most of a receiver's answer read; the rest is dropped with the connection. */
const MAX_RESPONSE_BYTES = 64 * 1024;

const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 64 }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 64 }),
};

/**
 * POSTs one delivery. The whole attempt (lookup, connect, send, answer) ends within `timeoutMs`;
 * redirects are not followed (a 3xx is a failure); at most 64 KiB of the answer is read, so a
 * receiver that streams forever cannot hold the worker.
 */
export function sendDelivery(target: string, headers: Record<string, string>, body: string, opts: { timeoutMs: number; allowPrivate: boolean }): Promise<Attempt> {
  const started = performance.now();
  const done = (statusCode: number | null, error: string | null): Attempt => ({ statusCode, durationMs: Math.round(performance.now() - started), error });
  return new Promise<Attempt>((resolve) => {
    let url: URL;
    try {
      url = new URL(target);
      if (url.protocol !== 'https:' && !(opts.allowPrivate && url.protocol === 'http:')) throw new DestinationError('url must use https');
      checkLiteral(url, opts.allowPrivate);
    } catch (err) {
      resolve(done(null, (err as Error).message));
      return;
    }
    let settled = false;
    const finish = (attempt: Attempt) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(attempt);
    };
    const client = url.protocol === 'https:' ? https : http;
    const req = client.request(url, {
      method: 'POST',
      agent: agents[url.protocol as 'http:' | 'https:'],
      lookup: guardedLookup(opts.allowPrivate) as never,
      headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
    });
    const timer = setTimeout(() => {
      finish(done(null, `no answer within ${opts.timeoutMs} ms`));
      req.destroy();
    }, opts.timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => finish(done(null, err instanceof DestinationError || err.code === 'EBLOCKED' ? err.message : `${err.code ?? 'error'}: ${err.message}`)));
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      let read = 0;
      const conclude = () => {
        const error = status >= 200 && status < 300 ? null : status >= 300 && status < 400 ? `redirect (${status}) not followed` : `answered ${status}`;
        finish(done(status, error));
      };
      res.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > MAX_RESPONSE_BYTES) {
          // Enough: the status is known; drop the connection rather than read on.
          conclude();
          res.destroy();
          req.destroy();
        }
      });
      res.on('end', conclude);
      res.on('error', conclude);
      res.on('close', conclude);
    });
    req.end(body);
  });
}
