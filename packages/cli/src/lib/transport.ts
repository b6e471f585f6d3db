import { NetworkError } from './errors.js';

function builtin<T>(id: string): T {
  return process.getBuiltinModule(id) as T;
}
const http = builtin<typeof import('node:http')>('node:http');
const { STATUS_CODES } = http;

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
 * node:http (node:https for https URLs): TLS verification always on, no redirects followed, no
 * proxies guessed. Node's built-in fetch does the same, but its first call loads undici with its
 * WebAssembly HTTP parser, web streams, crypto and http2: most of the CPU a cold `acct call`
 * spent (scripts/bench/cli-startup.mjs). node:http parses with the native llhttp, already in
 * the binary. Importing the undici package costs more still (~100 files resolved per start).
 * Both modules come from process.getBuiltinModule: an ESM `import 'node:http'` copies every
 * export into the namespace, and the copy reads http's lazy WebSocket getters, loading undici.
 */
export const httpTransport: Transport = async (req) => {
  const url = new URL(req.url);
  const client = url.protocol === 'https:' ? builtin<typeof import('node:https')>('node:https').request : http.request;
  const headers: Record<string, string | number> = { ...req.headers };
  if (req.body !== undefined) headers['content-length'] = Buffer.byteLength(req.body);
  return new Promise<RawResponse>((resolve, reject) => {
    const outgoing = client(url, { method: req.method, headers }, (res) => {
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
      if (url.protocol === 'https:' && isTlsFailure(err))
        reject(new NetworkError(`could not speak https to ${url.origin}; is it http? (try --host ${url.origin.replace(/^https:/, 'http:')})`));
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
