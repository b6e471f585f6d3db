import { STATUS_CODES } from 'node:http';
import { NetworkError } from './errors.js';

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
 * Node's built-in fetch, which is undici (bundled in Node and compiled into the binary): TLS
 * verification always on, no redirects followed, no proxies guessed. Importing the undici
 * package instead resolves ~100 files on every start, about 65 ms of CPU per run (measured with
 * scripts/bench/cli-startup.mjs), for the same client.
 */
export const fetchTransport: Transport = async (req) => {
  let res: Response;
  try {
    res = await fetch(req.url, { method: req.method, headers: req.headers, redirect: 'manual', ...(req.body !== undefined ? { body: req.body } : {}) });
  } catch (err) {
    const origin = new URL(req.url).origin;
    if (origin.startsWith('https:') && isTlsFailure(err))
      throw new NetworkError(`could not speak https to ${origin}; is it http? (try --host ${origin.replace(/^https:/, 'http:')})`);
    throw new NetworkError(`cannot reach ${origin}: ${describeNetworkError(err)}`);
  }
  const headers: Record<string, string | string[]> = {};
  res.headers.forEach((value, name) => {
    if (name !== 'set-cookie') headers[name] = value;
  });
  const setCookies = res.headers.getSetCookie();
  if (setCookies.length) headers['set-cookie'] = setCookies;
  let body: string;
  try {
    body = await res.text();
  } catch (err) {
    throw new NetworkError(`the connection to ${new URL(req.url).origin} broke: ${describeNetworkError(err)}`);
  }
  return { status: res.status, statusText: STATUS_CODES[res.status] ?? res.statusText, headers, body };
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
