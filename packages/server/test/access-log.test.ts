// test-dialects: sqlite — the access log lines a request writes; no assertion depends on the database
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, email, newKey, PASSWORD, startServer, tamper, type RunningServer } from './harness.js';

let server: RunningServer;
beforeAll(async () => {
  server = await startServer({ LOG_LEVEL: 'info' });
});
afterAll(async () => {
  await server.stop();
});

function logLines(): Record<string, unknown>[] {
  return server.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('structured access log', () => {
  it('logs writes and failures as JSON with the request id and the actor, and never a secret', async () => {
    const address = email('log');
    await call(server.url, 'POST', '/api/auth/sign-up/email', { body: { email: address, password: PASSWORD, name: 'Log Person' } });
    const signIn = await fetch(`${server.url}/api/auth/sign-in/email`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': 'trace-sign-in-1' }, body: JSON.stringify({ email: address, password: PASSWORD }),
    });
    const cookie = signIn.headers.getSetCookie()[0]!.split(';')[0]!;
    const { key } = await newKey(server.url, cookie, ['user:read']);
    await call(server.url, 'GET', '/api/user/me', { apiKey: tamper(key), headers: { 'x-request-id': 'trace-bad-key' } });
    await call(server.url, 'GET', `/api/auth/verify-email?token=bm_${'a'.repeat(50)}`, { headers: { 'x-request-id': 'trace-link' } });
    await new Promise((r) => setTimeout(r, 100));

    const lines = logLines().filter((l) => l['msg'] === 'request');
    const signInLine = lines.find((l) => l['requestId'] === 'trace-sign-in-1');
    expect(signInLine).toMatchObject({ method: 'POST', path: '/api/auth/sign-in/email', status: 200, actor: { kind: 'session' } });
    expect(typeof signInLine!['time']).toBe('string');
    expect(lines.find((l) => l['requestId'] === 'trace-bad-key')).toMatchObject({ status: 401, path: '/api/user/me' });
    // The query of a mailed link can carry a token: only the path is logged.
    expect(lines.find((l) => l['requestId'] === 'trace-link')).toMatchObject({ path: '/api/auth/verify-email' });

    const output = server.output();
    expect(output).not.toContain(PASSWORD);
    expect(output).not.toContain(key);
    expect(output).not.toContain(cookie.split('=')[1]!);
  });

  it('logs requests it cannot read (a bad percent-escape, oversized headers) at info with their status, never at error', async () => {
    await call(server.url, 'GET', '/api/invitations/%ff?token=x', { headers: { 'x-request-id': 'trace-escape' } });
    const { hostname, port } = new URL(server.url);
    const answer = await new Promise<string>((resolve) => {
      const socket = net.connect(Number(port), hostname);
      let raw = '';
      socket.on('data', (d: Buffer) => (raw += d.toString('latin1')));
      socket.on('error', () => {});
      socket.on('close', () => resolve(raw));
      socket.write(`GET /api/auth/scopes HTTP/1.1\r\nHost: localhost\r\nX-Padding: ${'a'.repeat(40_000)}\r\n\r\n`);
    });
    const requestId = /X-Request-Id: (\S+)/i.exec(answer)?.[1];
    expect(requestId).toBeTruthy();
    await new Promise((r) => setTimeout(r, 100));

    const lines = logLines();
    expect(lines.find((l) => l['requestId'] === 'trace-escape')).toMatchObject({ level: 30, msg: 'request', status: 400, path: '/api/invitations/%ff' });
    expect(lines.find((l) => l['requestId'] === requestId)).toMatchObject({ level: 30, msg: 'client error', status: 431, error: 'HPE_HEADER_OVERFLOW' });
    expect(lines.filter((l) => Number(l['level']) >= 50)).toEqual([]);
  });
  it('logs a successful token introspection as a read (debug), a refused one at info', async () => {
    const reg = await call(server.url, 'POST', '/oauth2/register', {
      body: { client_name: 'Log Resource Server', redirect_uris: ['http://127.0.0.1:9/cb'], token_endpoint_auth_method: 'client_secret_basic' },
    });
    const basic = `Basic ${Buffer.from(`${reg.body.client_id}:${reg.body.client_secret}`).toString('base64')}`;
    const introspect = (authorization: string, requestId: string) => fetch(`${server.url}/oauth2/introspect`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization, 'x-request-id': requestId }, body: 'token=bo_not-a-token',
    });
    expect((await introspect(basic, 'trace-introspect-ok')).status).toBe(200);
    expect((await introspect(`Basic ${Buffer.from(`${reg.body.client_id}:wrong`).toString('base64')}`, 'trace-introspect-bad')).status).toBe(401);
    await new Promise((r) => setTimeout(r, 100));
    const lines = logLines().filter((l) => l['msg'] === 'request');
    expect(lines.find((l) => l['requestId'] === 'trace-introspect-ok')).toBeUndefined();
    expect(lines.find((l) => l['requestId'] === 'trace-introspect-bad')).toMatchObject({ level: 30, method: 'POST', path: '/oauth2/introspect', status: 401 });
  });
});
