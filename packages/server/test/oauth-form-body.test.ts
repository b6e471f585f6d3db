// The OAuth protocol endpoints' form bodies: what body-parser cannot read (too many parameters,
// too large, another charset) is answered in OAuth's error format (RFC 6749 §5.2), like the
// endpoints' own errors, never in the API envelope and never with a 500.
import net from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from './harness.js';
import { expectNoServerErrors } from './support.js';

describe('protocol endpoints over HTTP', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    if (server) expectNoServerErrors(server);
    await server?.stop();
  });

  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(`${server.url}/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body });

  it('a repeated parameter is invalid_request (RFC 6749 §3.2)', async () => {
    const res = await post('grant_type=refresh_token&grant_type=authorization_code&client_id=x');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_request' });
  });

  it('eleven parameters are invalid_request, never a 500', async () => {
    const res = await post(Array.from({ length: 11 }, (_, i) => `p${i}=v`).join('&'));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_request' });
  });

  it('a body over the limit is refused before it is read', async () => {
    const res = await post(`grant_type=refresh_token&refresh_token=${'x'.repeat(200_000)}`);
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: 'invalid_request' });
  });

  it('a charset other than UTF-8 is refused in the protocol format', async () => {
    const res = await post('grant_type=refresh_token', { 'content-type': 'application/x-www-form-urlencoded; charset=koi8-r' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_request' });
  });

  it('a chunked body (no Content-Length) is read too, and answered in the protocol format', async () => {
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('grant_type=password&'));
        controller.enqueue(new TextEncoder().encode('client_id=nobody'));
        controller.close();
      },
    });
    const res = await fetch(`${server.url}/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: stream, duplex: 'half' } as RequestInit);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: 'invalid_client' });
  });

  it('a compressed body is read too (body-parser inflates it), and answered in the protocol format', async () => {
    const res = await post(gzipSync('grant_type=password&client_id=nobody') as unknown as string, { 'content-encoding': 'gzip' });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: 'invalid_client' });
  });

  it('a body cut short of its Content-Length leaves the server answering the next request', async () => {
    const port = Number(new URL(server.url).port);
    const socket = net.connect(port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write('POST /oauth2/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 60\r\n\r\ngrant_type=pass');
    await new Promise((resolve) => setTimeout(resolve, 50));
    socket.destroy();
    const res = await post('grant_type=password&client_id=nobody');
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: 'invalid_client' });
  });

  it('a parameter named __proto__ is a parameter like any other', async () => {
    const res = await post('__proto__=x&grant_type=password&client_id=nobody');
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: 'invalid_client' });
  });
});
