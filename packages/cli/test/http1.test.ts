// test-dialects: sqlite — the CLI (its flags, output, keychain, exit codes); the server API it calls is covered on PostgreSQL by the server suites
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestOverTcp, ResponseParser } from '../src/lib/http1.js';
import { STATUS_TEXT } from '../src/lib/status-text.js';
import type { RawRequest, RawResponse } from '../src/lib/transport.js';

/** What node:http (the client acct used before) makes of the same exchange, shaped as RawResponse. */
function viaNodeHttp(url: string, req: Omit<RawRequest, 'url'>): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...req.headers, connection: 'close' };
    if (req.body !== undefined) headers['content-length'] = Buffer.byteLength(req.body);
    const out = http.request(url, { method: req.method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const h: Record<string, string | string[]> = {};
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) h[k] = k === 'set-cookie' ? (Array.isArray(v) ? v : [v]) : Array.isArray(v) ? v.join(', ') : v;
        resolve({ status: res.statusCode!, statusText: http.STATUS_CODES[res.statusCode!] ?? res.statusMessage ?? '', headers: h, body: Buffer.concat(chunks).toString('utf8') });
      });
    });
    out.on('error', reject);
    out.end(req.body);
  });
}

// A server that answers with raw bytes chosen per path, in small writes, so framing is really exercised.
const RAW: Record<string, string[]> = {
  '/chunked': ['HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n', '5\r\n{"a":', '\r\n', '3;ext=1\r\n1}\n\r\n0\r\nX-Trailer: t\r\n\r\n'],
  '/length': ['HTTP/1.1 201 Created\r\nContent-Length: 11\r\nSet-Cookie: a=1; Path=/\r\nSet-Cookie: b=2\r\nVary: a\r\nVary: b\r\nContent-Type: text/plain\r\nContent-Type: text/html\r\n\r\nhello', ' world'],
  '/close': ['HTTP/1.1 500 Whatever\r\nX-A:   spaced  \r\n\r\nuntil', ' the end'],
  '/continue': ['HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n', 'HTTP/1.1 204 No Content\r\nX-B: 1\r\n\r\n'],
  '/utf8': ['HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n', Buffer.from('é€', 'utf8').subarray(0, 2).toString('latin1'), Buffer.from('é€', 'utf8').subarray(2).toString('latin1'), '!'],
  '/hangup': ['HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort'],
};

let rawServer: net.Server;
let rawPort = 0;
const seen: string[] = [];
beforeAll(async () => {
  rawServer = net.createServer((socket) => {
    let head = '';
    socket.on('data', (d) => {
      head += d.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      seen.push(head);
      const path = head.split(' ')[1]!;
      const parts = RAW[path] ?? ['HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n'];
      let i = 0;
      const next = () => {
        if (i < parts.length) socket.write(Buffer.from(parts[i++]!, 'latin1'), () => setTimeout(next, 5));
        else socket.end();
      };
      next();
    });
  });
  await new Promise<void>((r) => rawServer.listen(0, '127.0.0.1', r));
  rawPort = (rawServer.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => rawServer.close(() => r())));

const get = (path: string, extra: Partial<RawRequest> = {}) => {
  const url = `http://127.0.0.1:${rawPort}${path}`;
  return { url, req: { url, method: 'GET', headers: { accept: 'application/json' }, ...extra } as RawRequest };
};

describe('HTTP/1.1 over node:net answers as node:http does', () => {
  it.each(Object.keys(RAW).filter((p) => p !== '/hangup'))('%s', async (path) => {
    const { url, req } = get(path);
    const ours = await requestOverTcp(new URL(url), req);
    const theirs = await viaNodeHttp(url, req);
    const { date: _a, ...oursHeaders } = ours.headers;
    const { date: _b, ...theirHeaders } = theirs.headers;
    expect(ours.status).toBe(theirs.status);
    expect(ours.statusText).toBe(theirs.statusText);
    expect(oursHeaders).toEqual(theirHeaders);
    expect(ours.body).toBe(theirs.body);
  });

  it('the chunked body, repeated headers, Set-Cookie and a split UTF-8 character come out whole', async () => {
    const chunked = await requestOverTcp(new URL(get('/chunked').url), get('/chunked').req);
    expect(chunked.body).toBe('{"a":1}\n');
    const length = await requestOverTcp(new URL(get('/length').url), get('/length').req);
    expect(length).toMatchObject({ status: 201, statusText: 'Created', body: 'hello world' });
    expect(length.headers).toMatchObject({ 'set-cookie': ['a=1; Path=/', 'b=2'], vary: 'a, b', 'content-type': 'text/plain' });
    const utf8 = await requestOverTcp(new URL(get('/utf8').url), get('/utf8').req);
    expect(utf8.body).toBe('é€!');
    const skipped = await requestOverTcp(new URL(get('/continue').url), get('/continue').req);
    expect(skipped).toMatchObject({ status: 204, body: '', headers: { 'x-b': '1' } });
  });

  it('a connection that ends inside the body is a network error, not a short answer', async () => {
    const { url, req } = get('/hangup');
    await expect(requestOverTcp(new URL(url), req)).rejects.toThrow(/the connection to http:\/\/127\.0\.0\.1:\d+ broke/);
  });

  it('a refused connection says it cannot reach the host', async () => {
    await expect(requestOverTcp(new URL('http://127.0.0.1:1/x'), { url: 'http://127.0.0.1:1/x', method: 'GET', headers: {} })).rejects.toThrow(/cannot reach http:\/\/127\.0\.0\.1:1: connect ECONNREFUSED/);
  });

  it('sends the request line, host, headers, the body with its length, and Connection: close', async () => {
    seen.length = 0;
    const body = JSON.stringify({ name: 'é' });
    await requestOverTcp(new URL(get('/length?x=1').url), get('/length?x=1', { method: 'POST', headers: { 'content-type': 'application/json' }, body }).req);
    const head = seen[0]!;
    expect(head.startsWith('POST /length?x=1 HTTP/1.1\r\n')).toBe(true);
    expect(head).toContain(`host: 127.0.0.1:${rawPort}\r\n`);
    expect(head).toContain('content-type: application/json\r\n');
    expect(head).toContain(`content-length: ${Buffer.byteLength(body)}\r\n`);
    expect(head).toContain('connection: close\r\n');
  });

  it('refuses a header that would split the request (CR/LF in a value, a bad name)', async () => {
    const { url } = get('/length');
    await expect(requestOverTcp(new URL(url), { url, method: 'GET', headers: { 'x-a': 'v\r\nx-injected: 1' } })).rejects.toThrow(/invalid character in the value of header x-a/);
    await expect(requestOverTcp(new URL(url), { url, method: 'GET', headers: { 'x a': 'v' } })).rejects.toThrow(/invalid header name/);
  });

  it('parses a response fed one byte at a time', () => {
    const bytes = Buffer.from(RAW['/chunked']!.join(''), 'latin1');
    const parser = new ResponseParser();
    let done = false;
    for (let i = 0; i < bytes.length; i++) done = parser.push(bytes.subarray(i, i + 1)) || done;
    expect(done).toBe(true);
    expect(parser.response()).toMatchObject({ status: 200, body: '{"a":1}\n' });
  });

  it('rejects what is not HTTP/1.1', () => {
    expect(() => new ResponseParser().push(Buffer.from('SSH-2.0-OpenSSH\r\n\r\n'))).toThrow(/not an HTTP\/1.1 response/);
    expect(() => new ResponseParser().push(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n'))).toThrow(/invalid Content-Length/);
  });

  it('the reason phrases are those of node:http', () => {
    expect(STATUS_TEXT).toEqual(Object.fromEntries(Object.entries(http.STATUS_CODES).map(([k, v]) => [Number(k), v])));
  });
});
