import { requestOverTcp } from './http1.js';
import { NetworkError } from './errors.js';

function builtin<T>(id: string): T {
  return process.getBuiltinModule(id) as T;
}

export interface RawRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string | Buffer;
}

export interface RawResponse {
  status: number;
  statusText: string;
  /** Lower-case names; `set-cookie` (and any repeated header) as an array. */
  headers: Record<string, string | string[]>;
  body: string;
}

/** Sends one request; throws NetworkError when the server cannot be reached. */
export type Transport = (req: RawRequest) => Promise<RawResponse>;

/**
 * http: one HTTP/1.1 exchange over node:net (lib/http1.ts); https: node:https, TLS verification
 * always on. No redirects followed, no proxies guessed. Node's built-in fetch does the same, but
 * its first call loads undici with its WebAssembly HTTP parser, web streams, crypto and http2:
 * most of the CPU a cold `acct call` spent (scripts/bench/cli-startup.mjs); node:http itself
 * (server, agent, message classes) was a fifth of what remained. Importing the undici package
 * costs more still (~100 files resolved per start). Built-in modules come from
 * process.getBuiltinModule: an ESM `import 'node:http'` copies every export into the namespace,
 * and the copy reads http's lazy WebSocket getters, loading undici.
 */
export const httpTransport: Transport = async (req) => {
  const url = new URL(req.url);
  if (url.protocol === 'http:') return requestOverTcp(url, req);
  const https = builtin<typeof import('node:https')>('node:https');
  const { STATUS_CODES } = builtin<typeof import('node:http')>('node:http');
  const headers: Record<string, string | number> = { ...req.headers };
  if (req.body !== undefined) headers['content-length'] = Buffer.byteLength(req.body);
  return new Promise<RawResponse>((resolve, reject) => {
    const outgoing = https.request(url, { method: req.method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', (err) => reject(new NetworkError(`the connection to ${url.origin} broke: ${describeNetworkError(err)}`)));
      res.on('end', () => {
        const out: Record<string, string | string[]> = {};
        for (const [name, value] of Object.entries(res.headers)) {
          if (value === undefined) continue;
          out[name] = name === 'set-cookie' ? (Array.isArray(value) ? value : [value]) : Array.isArray(value) ? value.join(', ') : value;
        }
        const status = res.statusCode ?? 0;
        resolve({ status, statusText: STATUS_CODES[status] ?? res.statusMessage ?? '', headers: out, body: Buffer.concat(chunks).toString('utf8') });
      });
    });
    outgoing.on('error', (err) => {
      if (isTlsFailure(err)) reject(new NetworkError(`could not speak https to ${url.origin}; is it http? (try --host ${url.origin.replace(/^https:/, 'http:')})`));
      else reject(new NetworkError(`cannot reach ${url.origin}: ${describeNetworkError(err)}`));
    });
    outgoing.end(req.body);
  });
};

/** A TLS handshake that failed because the other side does not speak TLS (or speaks it wrongly). */
function isTlsFailure(err: unknown): boolean {
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string; library?: string } };
  const code = e.cause?.code ?? e.code ?? '';
  const message = `${e.cause?.message ?? ''} ${e.message ?? ''}`;
  return /^ERR_SSL_|^EPROTO$/.test(code) || e.cause?.library === 'SSL routines' || /ssl3_get_record|wrong version number|packet length too long/i.test(message);
}

function describeNetworkError(err: unknown): string {
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e.code ?? e.cause?.code;
  const message = e.cause?.message ?? e.message ?? String(err);
  return code && !message.includes(code) ? `${code} ${message}` : message;
}
