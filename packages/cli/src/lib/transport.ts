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

/** undici's `request`: TLS verification always on, no redirects followed, no proxies guessed. */
export const undiciTransport: Transport = async (req) => {
  const { request } = await import('undici');
  let res: Awaited<ReturnType<typeof request>>;
  try {
    res = await request(req.url, { method: req.method as 'GET', headers: req.headers, ...(req.body !== undefined ? { body: req.body } : {}) });
  } catch (err) {
    throw new NetworkError(`cannot reach ${new URL(req.url).origin}: ${describeNetworkError(err)}`);
  }
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(res.headers)) if (value !== undefined) headers[name.toLowerCase()] = value;
  let body: string;
  try {
    body = await res.body.text();
  } catch (err) {
    throw new NetworkError(`the connection to ${new URL(req.url).origin} broke: ${describeNetworkError(err)}`);
  }
  return { status: res.statusCode, statusText: STATUS_CODES[res.statusCode] ?? '', headers, body };
};

function describeNetworkError(err: unknown): string {
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e.code ?? e.cause?.code;
  const message = e.cause?.message ?? e.message ?? String(err);
  return code && !message.includes(code) ? `${code} ${message}` : message;
}
