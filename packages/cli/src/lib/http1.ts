import { NetworkError, UsageError } from './errors.js';
import { STATUS_TEXT } from './status-text.js';
import type { RawRequest, RawResponse } from './transport.js';

/**
 * One HTTP/1.1 exchange over a plain TCP socket (`node:net`), for `http:` hosts: loopback, or
 * another host with --insecure-http. node:http does the same work, but loading it (with
 * `_http_server`, the agent, the outgoing/incoming message classes and their stream plumbing)
 * cost about a fifth of a cold `acct call` (issue 12's start-up target). The CLI sends one
 * request per connection (`Connection: close`) and reads one response: a status line, headers,
 * and a body framed by `Transfer-Encoding: chunked`, `Content-Length` or the end of the
 * connection (RFC 9112 §6.3). https goes through node:https (TLS and certificate checks).
 */
export async function requestOverTcp(url: URL, req: RawRequest): Promise<RawResponse> {
  const net = process.getBuiltinModule('node:net') as typeof import('node:net');
  const head = requestHead(url, req);
  const body = req.body === undefined ? undefined : typeof req.body === 'string' ? Buffer.from(req.body, 'utf8') : req.body;
  return new Promise<RawResponse>((resolve, reject) => {
    const parser = new ResponseParser(req.method === 'HEAD');
    let settled = false;
    const socket = net.connect({ host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 80) });
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      reject(
        parser.headComplete
          ? new NetworkError(`the connection to ${url.origin} broke: ${describe(err)}`)
          : new NetworkError(`cannot reach ${url.origin}: ${describe(err)}`),
      );
    };
    const finish = () => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(parser.response());
    };
    socket.setNoDelay(true);
    socket.on('error', fail);
    socket.on('data', (chunk: Buffer) => {
      try {
        if (parser.push(chunk)) finish();
      } catch (err) {
        fail(err as Error);
      }
    });
    socket.on('end', () => {
      try {
        if (parser.end()) finish();
        else fail(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
      } catch (err) {
        fail(err as Error);
      }
    });
    socket.on('close', () => fail(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })));
    socket.write(head, 'latin1');
    if (body !== undefined && body.length > 0) socket.write(body);
  });
}

/** A header field name (RFC 9110 token) and a value without CR, LF or NUL, as node:http checks them. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const BAD_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

function requestHead(url: URL, req: RawRequest): string {
  if (!TOKEN.test(req.method)) throw new UsageError(`invalid method: ${req.method}`);
  let head = `${req.method} ${url.pathname}${url.search} HTTP/1.1\r\nhost: ${url.host}\r\n`;
  for (const [name, value] of Object.entries(req.headers)) {
    const lower = name.toLowerCase();
    if (lower === 'host' || lower === 'connection' || lower === 'content-length' || lower === 'transfer-encoding') continue;
    if (!TOKEN.test(name)) throw new UsageError(`invalid header name: ${JSON.stringify(name)}`);
    if (BAD_VALUE.test(value)) throw new UsageError(`invalid character in the value of header ${name}`);
    head += `${name}: ${value}\r\n`;
  }
  const length = req.body === undefined ? 0 : Buffer.byteLength(req.body);
  // As node:http: a body gets its length; so do the methods that usually carry one.
  if (req.body !== undefined || !['GET', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT'].includes(req.method)) head += `content-length: ${length}\r\n`;
  return `${head}connection: close\r\n\r\n`;
}

/** Repeats of these are dropped (the first one counts), as node:http does; others are joined. */
const SINGLE = new Set([
  'age', 'authorization', 'content-length', 'content-type', 'etag', 'expires', 'from', 'host', 'if-modified-since',
  'if-unmodified-since', 'last-modified', 'location', 'max-forwards', 'proxy-authorization', 'referer', 'retry-after', 'server', 'user-agent',
]);

const MAX_HEAD = 64 * 1024;

/** Reads one response from the bytes of a connection. */
export class ResponseParser {
  headComplete = false;
  private buffer: Buffer = Buffer.alloc(0);
  private status = 0;
  private reason = '';
  private readonly headers: Record<string, string | string[]> = {};
  private readonly chunks: Buffer[] = [];
  /** `length`: Content-Length bytes left; `chunked`: RFC 9112 §7.1; `close`: until the connection ends; `none`: no body. */
  private framing: { kind: 'length'; left: number } | { kind: 'chunked'; left: number; trailers: boolean } | { kind: 'close' } | { kind: 'none' } = { kind: 'none' };
  private done = false;

  constructor(private readonly headRequest = false) {}

  /** Takes the next bytes; true once the whole response has arrived. */
  push(chunk: Buffer): boolean {
    if (this.done) return true;
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    while (!this.headComplete) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) {
        if (this.buffer.length > MAX_HEAD) throw new Error('the response headers are too large');
        return false;
      }
      const lines = this.buffer.subarray(0, end).toString('latin1').split('\r\n');
      this.buffer = this.buffer.subarray(end + 4);
      const m = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(lines[0]!);
      if (!m) throw new Error(`not an HTTP/1.1 response (${JSON.stringify(lines[0]!.slice(0, 40))})`);
      const status = Number(m[1]);
      // 1xx (100 Continue, 103 Early Hints) come before the real response.
      if (status >= 100 && status < 200 && status !== 101) continue;
      this.status = status;
      this.reason = m[2] ?? '';
      for (const line of lines.slice(1)) this.addHeader(line);
      this.headComplete = true;
      this.framing = this.chooseFraming();
    }
    return this.readBody();
  }

  /** The connection ended; true when that completes the response. */
  end(): boolean {
    if (this.done) return true;
    if (this.headComplete && this.framing.kind === 'close') {
      this.chunks.push(this.buffer);
      this.buffer = Buffer.alloc(0);
      this.done = true;
    }
    return this.done;
  }

  response(): RawResponse {
    return { status: this.status, statusText: STATUS_TEXT[this.status] ?? this.reason, headers: this.headers, body: Buffer.concat(this.chunks).toString('utf8') };
  }

  private addHeader(line: string): void {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error(`malformed response header ${JSON.stringify(line.slice(0, 40))}`);
    const name = line.slice(0, colon).toLowerCase();
    if (!TOKEN.test(name)) throw new Error(`malformed response header ${JSON.stringify(line.slice(0, 40))}`);
    const value = line.slice(colon + 1).trim();
    const had = this.headers[name];
    if (name === 'set-cookie') this.headers[name] = [...((had as string[] | undefined) ?? []), value];
    else if (had === undefined) this.headers[name] = value;
    else if (!SINGLE.has(name)) this.headers[name] = `${had as string}${name === 'cookie' ? '; ' : ', '}${value}`;
  }

  private chooseFraming(): ResponseParser['framing'] {
    if (this.headRequest || this.status === 204 || this.status === 304) return { kind: 'none' };
    const te = this.headers['transfer-encoding'];
    if (typeof te === 'string' && /(?:^|,)\s*chunked\s*$/i.test(te)) return { kind: 'chunked', left: -1, trailers: false };
    const cl = this.headers['content-length'];
    if (typeof cl === 'string') {
      if (!/^\d+$/.test(cl)) throw new Error(`invalid Content-Length ${JSON.stringify(cl)}`);
      return { kind: 'length', left: Number(cl) };
    }
    return { kind: 'close' };
  }

  private readBody(): boolean {
    const f = this.framing;
    if (f.kind === 'none') return (this.done = true);
    if (f.kind === 'close') {
      this.chunks.push(this.buffer);
      this.buffer = Buffer.alloc(0);
      return false;
    }
    if (f.kind === 'length') {
      const take = this.buffer.subarray(0, f.left);
      this.chunks.push(take);
      f.left -= take.length;
      this.buffer = this.buffer.subarray(take.length);
      return (this.done = f.left === 0);
    }
    for (;;) {
      if (f.trailers) {
        // Trailer fields end with an empty line; they are read and dropped.
        const end = this.buffer.indexOf('\r\n');
        if (end < 0) return false;
        this.buffer = this.buffer.subarray(end + 2);
        if (end === 0) return (this.done = true);
        continue;
      }
      if (f.left < 0) {
        const end = this.buffer.indexOf('\r\n');
        if (end < 0) return false;
        const size = /^([0-9a-fA-F]+)[ \t]*(?:;.*)?$/.exec(this.buffer.subarray(0, end).toString('latin1'));
        if (!size) throw new Error('malformed chunked body');
        f.left = parseInt(size[1]!, 16);
        this.buffer = this.buffer.subarray(end + 2);
        if (f.left === 0) f.trailers = true;
        continue;
      }
      // The chunk's data, then its CRLF.
      if (this.buffer.length < f.left + 2) {
        if (this.buffer.length > f.left) return false;
        this.chunks.push(this.buffer);
        f.left -= this.buffer.length;
        this.buffer = Buffer.alloc(0);
        return false;
      }
      this.chunks.push(this.buffer.subarray(0, f.left));
      if (this.buffer[f.left] !== 0x0d || this.buffer[f.left + 1] !== 0x0a) throw new Error('malformed chunked body');
      this.buffer = this.buffer.subarray(f.left + 2);
      f.left = -1;
    }
  }
}

function describe(err: unknown): string {
  const e = err as { code?: string; message?: string };
  const message = e.message ?? String(err);
  return e.code && !message.includes(e.code) ? `${e.code} ${message}` : message;
}
