/**
 * Time-dependent OAuth behaviour, driven by the test clock (ACCT_TEST_CLOCK=1, POST /__test/clock):
 * the device grant's `slow_down` and `expired_token` (RFC 8628 §3.5) with a configurable device
 * code lifetime, and Client ID Metadata Documents cached by their Cache-Control header
 * (fetches counted in the test's own document server), and introspection's remembered answers
 * (client authentication and answer under one cache entry) against expiry and other clients.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, newUser, startServer, type RunningServer, type TestUser } from './harness.js';
import { expectNoServerErrors } from './support.js';
import { issueToken } from '@acct/shared';
import { consentedCode, introspectAs, pkce, register, tokenRequest } from './oauth-support.js';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
let server: RunningServer;
let alice: TestUser;
let docs: http.Server;
let docsBase: string;
const fetches = new Map<string, number>();
const cacheControl = new Map<string, string>();

beforeAll(async () => {
  docs = http.createServer((req, res) => {
    const path = req.url ?? '';
    fetches.set(path, (fetches.get(path) ?? 0) + 1);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const cc = cacheControl.get(path);
    if (cc) headers['cache-control'] = cc;
    res.writeHead(200, headers).end(JSON.stringify({ client_id: `${docsBase}${path}`, client_name: 'Cached App', redirect_uris: ['https://cached.example.com/cb'] }));
  });
  await new Promise<void>((resolve) => docs.listen(0, '127.0.0.1', resolve));
  docsBase = `http://127.0.0.1:${(docs.address() as AddressInfo).port}`;
  server = await startServer({ NODE_ENV: 'test', ACCT_TEST_CLOCK: '1', ACCT_OAUTH_ALLOW_LOOPBACK_CLIENTS: 'true', ACCT_OAUTH_DEVICE_CODE_SECONDS: '120', ACCT_OAUTH_DEVICE_INTERVAL: '5' });
  alice = await newUser(server.url, 'alice');
});
afterAll(async () => {
  if (server) expectNoServerErrors(server);
  await Promise.all([server?.stop(), new Promise((r) => docs?.close(r))]);
});

/** Moves the server's clock forward (the offset only grows). */
let offset = 0;
async function advance(seconds: number): Promise<void> {
  offset += seconds;
  const res = await call(server.url, 'POST', '/__test/clock', { body: { offsetSeconds: offset } });
  expect(res.status).toBe(200);
}

async function deviceCode(): Promise<{ device_code: string; user_code: string; expires_in: number; interval: number }> {
  const res = await fetch(`${server.url}/oauth2/device_authorization`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: 'acct-cli', scope: 'user:read' }).toString(),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { device_code: string; user_code: string; expires_in: number; interval: number };
}

const poll = (code: string) => tokenRequest(server.url, { grant_type: DEVICE_GRANT, device_code: code, client_id: 'acct-cli' });

describe('device grant over time', () => {
  it('announces the configured lifetime and interval', async () => {
    const code = await deviceCode();
    expect(code.expires_in).toBe(120);
    expect(code.interval).toBe(5);
  });

  it('answers slow_down to a client polling faster than interval, then pending again once it waits the longer interval', async () => {
    const { device_code } = await deviceCode();
    const first = await poll(device_code);
    expect(first.status).toBe(400);
    expect(first.body.error).toBe('authorization_pending');
    const fast = await poll(device_code);
    expect(fast.status).toBe(400);
    expect(fast.body.error).toBe('slow_down');
    // Each slow_down adds 5 s to the interval (RFC 8628 §3.5): 5 → 10, so 6 s later is still too fast (→ 15); 15 s later is not.
    await advance(6);
    expect((await poll(device_code)).body.error).toBe('slow_down');
    await advance(15);
    expect((await poll(device_code)).body.error).toBe('authorization_pending');
  });

  it('answers expired_token after the device code lifetime, and the user code no longer opens a consent', async () => {
    const { device_code, user_code } = await deviceCode();
    expect((await poll(device_code)).body.error).toBe('authorization_pending');
    await advance(121);
    const late = await poll(device_code);
    expect(late.status).toBe(400);
    expect(late.body.error).toBe('expired_token');
    const page = await fetch(`${server.url}/device?user_code=${encodeURIComponent(user_code)}`, { headers: { cookie: alice.cookie } });
    expect(page.status).toBe(400);
    expect(await page.text()).toContain('unknown, expired or already used');
  });
});

describe('Client ID Metadata Document cache', () => {
  async function authorize(clientId: string): Promise<number> {
    const { challenge } = pkce();
    const url = new URL('/oauth2/authorize', server.url);
    for (const [k, v] of Object.entries({ response_type: 'code', client_id: clientId, redirect_uri: 'https://cached.example.com/cb', scope: 'user:read', state: 's', code_challenge: challenge, code_challenge_method: 'S256' }))
      url.searchParams.set(k, v);
    const res = await fetch(url, { redirect: 'manual', headers: { cookie: alice.cookie } });
    return res.status;
  }

  it('a second authorize within max-age does not refetch; after it expires the document is fetched again', async () => {
    cacheControl.set('/max-age.json', 'public, max-age=60');
    const id = `${docsBase}/max-age.json`;
    expect(await authorize(id)).toBe(302);
    expect(fetches.get('/max-age.json')).toBe(1);
    await advance(30);
    expect(await authorize(id)).toBe(302);
    expect(fetches.get('/max-age.json')).toBe(1);
    await advance(31);
    expect(await authorize(id)).toBe(302);
    expect(fetches.get('/max-age.json')).toBe(2);
  });

  it('no-store documents are fetched on every authorize', async () => {
    cacheControl.set('/no-store.json', 'no-store');
    const id = `${docsBase}/no-store.json`;
    expect(await authorize(id)).toBe(302);
    expect(await authorize(id)).toBe(302);
    expect(fetches.get('/no-store.json')).toBe(2);
  });
});

describe('introspection remembered', () => {
  const REDIRECT = 'https://rs.example.com/cb';
  const introspectWith = (authorization: string, fields: Record<string, string>) => fetch(`${server.url}/oauth2/introspect`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization }, body: new URLSearchParams(fields).toString(),
  });
  const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

  it('answers only the client that authenticated, and ends with the token even while remembered', async () => {
    const conf = await register(server.url, { client_name: 'Resource Server', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'client_secret_basic' });
    expect(conf.status).toBe(201);
    const rs = { id: conf.body.client_id as string, secret: conf.body.client_secret as string };
    const { code, verifier } = await consentedCode(server.url, alice.cookie, { clientId: rs.id, redirectUri: REDIRECT, scope: 'user:read' });
    const tokens = await tokenRequest(server.url, { grant_type: 'authorization_code', code: code!, redirect_uri: REDIRECT, code_verifier: verifier }, rs);
    expect(tokens.status).toBe(200);
    const access = tokens.body.access_token as string;

    // The second answer comes from the remembered entry: the same answer.
    const first = await introspectAs(server.url, rs, access);
    expect(first).toMatchObject({ active: true, client_id: rs.id, scope: 'user:read', token_type: 'Bearer' });
    expect(await introspectAs(server.url, rs, access)).toEqual(first);

    // A wrong secret, another client's id in the body, a public client: refused although this token's answer is remembered.
    const wrong = await introspectWith(basic(rs.id, `${rs.secret}x`), { token: access });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: 'invalid_client' });
    const other = await introspectWith(basic(rs.id, rs.secret), { token: access, client_id: 'acct-cli' });
    expect(other.status).toBe(401);
    expect(await other.json()).toMatchObject({ error: 'invalid_client' });
    const cli = await introspectWith(basic('acct-cli', ''), { token: access });
    expect(cli.status).toBe(401);

    // A well-formed token nobody issued: inactive for the client, invalid_client for a wrong secret, every time.
    const unknown = issueToken('oauthAccess').token;
    for (let i = 0; i < 2; i++) {
      expect(await introspectAs(server.url, rs, unknown)).toEqual({ active: false });
      expect((await introspectWith(basic(rs.id, 'nope'), { token: unknown })).status).toBe(401);
    }

    // Past the access token's lifetime (1 h by default) the remembered answer is no longer given.
    await advance(3601);
    expect(await introspectAs(server.url, rs, access)).toEqual({ active: false });
    expect(await introspectAs(server.url, rs, tokens.body.refresh_token as string)).toMatchObject({ active: true, token_type: 'refresh_token' });
  });
});
