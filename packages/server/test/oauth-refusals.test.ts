/**
 * The authorization server's refusals, each with the error the RFCs name, and the guarantees
 * around its tokens: PKCE, exact redirects, RFC 9207 `iss` on every answer, RFC 8707 resources,
 * single-use codes, refresh reuse, metadata documents guarded against SSRF, registration,
 * client-authenticated introspection, and grants that end with the account's other credentials.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, newUser, PASSWORD, startServer, startSmtp, withTestDb, type RunningServer, type SmtpCatcher, type TestUser } from './harness.js';
import { api, expectEnvelope, expectNoServerErrors, mailsTo, nextMail, RESET_SUBJECT, tokenOf } from './support.js';
import { joinOrg, orgPath } from './tenancy-support.js';
import { answerConsent, formFields, introspectAs, pkce, postForm, register, signInAt, tokenRequest } from './oauth-support.js';

let server: RunningServer;
let closed: RunningServer;
let smtp: SmtpCatcher;
let docs: http.Server;
let docsBase: string;
let alice: TestUser;
let web: { id: string; secret: string };
let pub: string;
const REDIRECT = 'https://app.example.com/cb';
const documents = new Map<string, (res: http.ServerResponse) => void>();

beforeAll(async () => {
  smtp = await startSmtp();
  docs = http.createServer((req, res) => {
    const serve = documents.get(req.url ?? '');
    if (serve) serve(res);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => docs.listen(0, '127.0.0.1', resolve));
  docsBase = `http://127.0.0.1:${(docs.address() as AddressInfo).port}`;
  // One after the other: two servers starting at once on a busy machine can miss the harness's start-up deadline.
  server = await startServer({ SMTP_URL: smtp.url, ACCT_OAUTH_ALLOW_LOOPBACK_CLIENTS: 'true', ACCT_OAUTH_REFRESH_RETRY_SECONDS: '0' });
  closed = await startServer({ ACCT_OAUTH_REGISTRATION: 'false' });
  alice = await newUser(server.url, 'alice');
  const conf = await register(server.url, { client_name: 'Web App', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'client_secret_basic' });
  web = { id: conf.body.client_id, secret: conf.body.client_secret };
  const native = await register(server.url, { client_name: 'Native App', redirect_uris: [REDIRECT, 'http://127.0.0.1/callback'], token_endpoint_auth_method: 'none' });
  pub = native.body.client_id;
});
afterAll(async () => {
  if (server) expectNoServerErrors(server);
  await Promise.all([server?.stop(), closed?.stop(), smtp?.close(), new Promise((r) => docs?.close(r))]);
});

function authorizeUrl(params: Record<string, string | undefined>, base = server.url): string {
  const url = new URL('/oauth2/authorize', base);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  return url.href;
}

function codeParams(challenge: string, extra: Record<string, string | undefined> = {}) {
  return { response_type: 'code', client_id: pub, redirect_uri: REDIRECT, scope: 'user:read', state: 'st-1', code_challenge: challenge, code_challenge_method: 'S256', ...extra };
}

/** The parameters of a redirect back to the client. */
function answerOf(location: string): URLSearchParams {
  return new URL(location).searchParams;
}

async function authorizeOnly(params: Record<string, string | undefined>, base = server.url) {
  return fetch(authorizeUrl(params, base), { redirect: 'manual', headers: { cookie: alice.cookie } });
}

/** Code + PKCE through the consent page and the token endpoint, as the public client. */
async function tokensFor(user: TestUser, extra: Record<string, string | undefined> = {}, organizationId = '', tokenExtra: Record<string, string> = {}) {
  const { verifier, challenge } = pkce();
  const location = await answerConsent(authorizeUrl(codeParams(challenge, extra)), user.cookie, 'allow', organizationId);
  const code = answerOf(location).get('code')!;
  const res = await tokenRequest(server.url, { grant_type: 'authorization_code', code, redirect_uri: extra['redirect_uri'] ?? REDIRECT, code_verifier: verifier, client_id: pub, ...tokenExtra });
  return { ...res, code, verifier };
}

const introspect = (token: string) => introspectAs(server.url, web, token);

describe('authorization endpoint', () => {
  it('refuses plain PKCE and a missing challenge at the redirect URI, with state and iss', async () => {
    const { challenge } = pkce();
    for (const params of [codeParams(challenge, { code_challenge_method: 'plain' }), codeParams(challenge, { code_challenge: undefined })]) {
      const res = await authorizeOnly(params);
      expect(res.status).toBe(302);
      const answer = answerOf(res.headers.get('location')!);
      expect(answer.get('error')).toBe('invalid_request');
      expect(answer.get('state')).toBe('st-1');
      expect(answer.get('iss')).toBe(server.url);
    }
  });

  it('never redirects to an unregistered URI or for an unknown client: it shows the problem instead', async () => {
    const { challenge } = pkce();
    for (const params of [
      codeParams(challenge, { redirect_uri: 'https://app.example.com/cb/other' }),
      codeParams(challenge, { redirect_uri: 'https://evil.example.com/cb' }),
      codeParams(challenge, { client_id: 'oc_doesnotexist' }),
    ]) {
      const res = await authorizeOnly(params);
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
      expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    }
  });

  it('answers invalid_scope for a scope beyond the catalogue and invalid_target for a foreign resource', async () => {
    const { challenge } = pkce();
    const scope = await authorizeOnly(codeParams(challenge, { scope: 'user:read admin:everything' }));
    expect(answerOf(scope.headers.get('location')!).get('error')).toBe('invalid_scope');
    const target = await authorizeOnly(codeParams(challenge, { resource: 'https://elsewhere.example.com/api' }));
    expect(answerOf(target.headers.get('location')!).get('error')).toBe('invalid_target');
  });

  it('sends access_denied with state and iss when the user presses Deny', async () => {
    const { challenge } = pkce();
    const location = await answerConsent(authorizeUrl(codeParams(challenge)), alice.cookie, 'deny');
    const answer = answerOf(location);
    expect(answer.get('error')).toBe('access_denied');
    expect(answer.get('state')).toBe('st-1');
    expect(answer.get('iss')).toBe(server.url);
    expect(answer.get('code')).toBeNull();
  });

  it('accepts a loopback redirect on any port, and the consent page shows the client, the host and each scope in words', async () => {
    const { challenge } = pkce();
    const res = await authorizeOnly(codeParams(challenge, { redirect_uri: 'http://127.0.0.1:49152/callback', scope: 'projects:read' }));
    expect(res.status).toBe(302);
    const page = await fetch(new URL(res.headers.get('location')!, server.url), { headers: { cookie: alice.cookie } });
    const html = await page.text();
    expect(html).toContain('Native App');
    expect(html).toContain('127.0.0.1');
    expect(html).toContain('List and read projects');
    expect(html).toMatch(/<button type="submit" name="decision" value="allow">Allow<\/button>/);
    expect(html).toMatch(/<button type="submit" name="decision" value="deny"[^>]*>Deny<\/button>/);
    expect(page.headers.get('content-security-policy')).toContain('form-action');
  });

  it('sends a signed-out user to the console\'s sign-in with return_to, and back to exactly the consent page after signing in', async () => {
    const { challenge } = pkce();
    const res = await fetch(authorizeUrl(codeParams(challenge)), { redirect: 'manual' });
    const consent = new URL(res.headers.get('location')!, server.url);
    const page = await fetch(consent, { redirect: 'manual' });
    expect(page.status).toBe(303);
    const back = `${consent.pathname}${consent.search}`;
    expect(page.headers.get('location')).toBe(`/sign-in?return_to=${encodeURIComponent(back)}`);
    const signIn = await signInAt(server.url, page.headers.get('location')!, alice.email, PASSWORD);
    expect(signIn.returnTo).toBe(back);
    expect(signIn.location).toBe(back);
    const again = await fetch(new URL(signIn.location, server.url), { headers: { cookie: signIn.cookie } });
    expect(again.status).toBe(200);
    expect(await again.text()).toContain('Allow');
  });

  it('sends a consent answer whose session ended to sign-in, to come back to the same page', async () => {
    const { challenge } = pkce();
    const q = new URL(authorizeUrl(codeParams(challenge))).search.slice(1);
    const res = await postForm(server.url, '/oauth/consent', { q, decision: 'allow', csrf: 'x' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/sign-in?return_to=${encodeURIComponent(`/oauth/consent?${q}`)}`);
  });

  it('takes the page\'s own form as a browser sends it (Origin: null under no-referrer, Sec-Fetch-Site: same-origin), and refuses it from another site', async () => {
    const { challenge } = pkce();
    const start = await fetch(authorizeUrl(codeParams(challenge, { scope: 'projects:read user:read' })), { redirect: 'manual', headers: { cookie: alice.cookie } });
    const page = await fetch(new URL(start.headers.get('location')!, server.url), { headers: { cookie: alice.cookie } });
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    const fields = formFields(await page.text());
    const send = (site: string) => fetch(`${server.url}/oauth/consent`, {
      method: 'POST', redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: alice.cookie, origin: 'null', 'sec-fetch-site': site },
      body: new URLSearchParams({ ...fields, decision: 'allow', organization_id: '' }).toString(),
    });
    expect((await send('cross-site')).status).toBe(403);
    expect((await send('same-site')).status).toBe(403);
    const ok = await send('same-origin');
    expect(ok.status).toBe(303);
    expect(answerOf(ok.headers.get('location')!).get('code')).toBeTruthy();
  });

  it('refuses a consent post without the page\'s CSRF token', async () => {
    const { challenge } = pkce();
    const q = new URL(authorizeUrl(codeParams(challenge))).search.slice(1);
    const res = await postForm(server.url, '/oauth/consent', { q, decision: 'allow', csrf: 'forged' }, alice.cookie);
    expect(res.status).toBe(403);
  });
});

describe('token endpoint', () => {
  it('refuses a missing verifier (invalid_request) and a wrong one (invalid_grant)', async () => {
    const { challenge } = pkce();
    const location = await answerConsent(authorizeUrl(codeParams(challenge)), alice.cookie);
    const code = answerOf(location).get('code')!;
    const missing = await tokenRequest(server.url, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: pub });
    expect(missing).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    const wrong = await tokenRequest(server.url, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: pub, code_verifier: pkce().verifier });
    expect(wrong).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('refuses a redirect URI that differs from the authorization request', async () => {
    const { verifier, challenge } = pkce();
    const location = await answerConsent(authorizeUrl(codeParams(challenge)), alice.cookie);
    const res = await tokenRequest(server.url, { grant_type: 'authorization_code', code: answerOf(location).get('code')!, redirect_uri: 'http://127.0.0.1/callback', client_id: pub, code_verifier: verifier });
    expect(res).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('refuses unknown clients with 401 invalid_client, and a wrong secret too', async () => {
    const unknown = await tokenRequest(server.url, { grant_type: 'authorization_code', code: 'x', redirect_uri: REDIRECT, client_id: 'oc_nobody', code_verifier: 'y' });
    expect(unknown).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    const wrong = await tokenRequest(server.url, { grant_type: 'refresh_token', refresh_token: 'x' }, { id: web.id, secret: `${web.secret}x` });
    expect(wrong).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
  });

  it('a reused code is refused and revokes the tokens it issued', async () => {
    const first = await tokensFor(alice);
    expect(first.status).toBe(200);
    expect((await call(server.url, 'GET', '/api/user/me', { bearer: first.body.access_token })).status).toBe(200);
    const again = await tokenRequest(server.url, { grant_type: 'authorization_code', code: first.code, redirect_uri: REDIRECT, code_verifier: first.verifier, client_id: pub });
    expect(again).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect((await call(server.url, 'GET', '/api/user/me', { bearer: first.body.access_token })).status).toBe(401);
    expect(await introspect(first.body.refresh_token)).toEqual({ active: false });
  });

  it('a reused refresh token revokes the whole family: gone on the next introspection', async () => {
    const first = await tokensFor(alice);
    const second = await tokenRequest(server.url, { grant_type: 'refresh_token', refresh_token: first.body.refresh_token, client_id: pub });
    expect(second.status).toBe(200);
    expect((await introspect(second.body.access_token))['active']).toBe(true);
    const reuse = await tokenRequest(server.url, { grant_type: 'refresh_token', refresh_token: first.body.refresh_token, client_id: pub });
    expect(reuse).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(await introspect(second.body.access_token)).toEqual({ active: false });
    expect(await introspect(second.body.refresh_token)).toEqual({ active: false });
  });

  it('binds the resource at authorization: the token request may narrow it, never widen it; refresh keeps it', async () => {
    const api = `${server.url}/api`;
    const widened = await tokensFor(alice, { resource: `${api}/user` }, '', { resource: api });
    expect(widened).toMatchObject({ status: 400, body: { error: 'invalid_target' } });
    const added = await tokensFor(alice, {}, '', { resource: api });
    expect(added).toMatchObject({ status: 400, body: { error: 'invalid_target' } });
    const narrowed = await tokensFor(alice, { resource: api }, '', { resource: `${api}/user` });
    expect(narrowed.status).toBe(200);
    expect((await introspect(narrowed.body.access_token))['aud']).toBe(`${api}/user`);
    const refreshed = await tokenRequest(server.url, { grant_type: 'refresh_token', refresh_token: narrowed.body.refresh_token, client_id: pub });
    expect((await introspect(refreshed.body.access_token))['aud']).toBe(api);
    const wider = await tokenRequest(server.url, { grant_type: 'refresh_token', refresh_token: refreshed.body.refresh_token, client_id: pub, resource: server.url });
    expect(wider).toMatchObject({ status: 400, body: { error: 'invalid_target' } });
  });

  /** Changes the last character to another one: appending 'x' after dropping it left the token intact when it already ended in 'x' (one run in 64). */
  const mangle = (token: string): string => `${token.slice(0, -1)}${token.endsWith('x') ? 'y' : 'x'}`;

  it('an expired access token is refused with TOKEN_EXPIRED and an RFC 6750 challenge; a malformed one never reaches the database', async () => {
    const { body } = await tokensFor(alice);
    await withTestDb(server, (db) => db.run("UPDATE oauth_tokens SET expires_at = '2000-01-01T00:00:00.000Z' WHERE kind = 'access' AND revoked_at IS NULL AND expires_at > '2001-01-01'"));
    const expired = await call(server.url, 'GET', '/api/user/me', { bearer: body.access_token });
    expect(expired.status).toBe(401);
    expect(expired.body.code).toBe('TOKEN_EXPIRED');
    expect(expired.headers.get('www-authenticate')).toMatch(/^Bearer realm="acct", error="invalid_token"/);
    const mangled = await call(server.url, 'GET', '/api/user/me', { bearer: mangle(body.access_token) });
    expect(mangled.body.code).toBe('INVALID_TOKEN');
    const asApiKey = await call(server.url, 'GET', '/api/user/me', { apiKey: body.access_token });
    expect(asApiKey.body.code).toBe('INVALID_TOKEN');
    const refreshed = await tokenRequest(server.url, { grant_type: 'refresh_token', refresh_token: body.refresh_token, client_id: pub });
    expect(refreshed.status).toBe(200);
    expect((await call(server.url, 'GET', '/api/user/me', { bearer: refreshed.body.access_token })).status).toBe(200);
  });

  it('a token for another resource (the MCP endpoint) is refused by the REST API', async () => {
    const mcp = await tokensFor(alice, { resource: `${server.url}/mcp` });
    expect(mcp.status).toBe(200);
    const me = await call(server.url, 'GET', '/api/user/me', { bearer: mcp.body.access_token });
    expect(me.status).toBe(401);
    expect(me.body.code).toBe('INVALID_TOKEN');
  });

  it('refuses a scope at the token endpoint broader than the grant', async () => {
    const res = await tokensFor(alice, { scope: 'user:read' }, '', { scope: 'user:read projects:write' });
    expect(res).toMatchObject({ status: 400, body: { error: 'invalid_scope' } });
  });

  it('introspection needs an authenticated client', async () => {
    const res = await fetch(`${server.url}/oauth2/introspect`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=x&client_id=${pub}` });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: 'invalid_client' });
  });
});

describe('client metadata documents', () => {
  function serveDocument(path: string, body: unknown, headers: Record<string, string> = {}) {
    documents.set(path, (res) => res.writeHead(200, { 'content-type': 'application/json', ...headers }).end(typeof body === 'string' ? body : JSON.stringify(body)));
    return `${docsBase}${path}`;
  }

  async function authorizeWith(clientId: string, base = server.url) {
    const { challenge } = pkce();
    return authorizeOnly(codeParams(challenge, { client_id: clientId, redirect_uri: 'https://doc-app.example.com/cb' }), base);
  }

  it('uses a document whose client_id is its own URL, and shows its name', async () => {
    const id = serveDocument('/good.json', { client_id: '', client_name: 'Document App', redirect_uris: ['https://doc-app.example.com/cb'] });
    serveDocument('/good.json', { client_id: id, client_name: 'Document App', redirect_uris: ['https://doc-app.example.com/cb'] });
    const res = await authorizeWith(id);
    expect(res.status).toBe(302);
    const page = await fetch(new URL(res.headers.get('location')!, server.url), { headers: { cookie: alice.cookie } });
    expect(await page.text()).toContain('Document App');
  });

  it('refuses a document naming another client_id, a redirect, an oversized document', async () => {
    const mismatch = serveDocument('/mismatch.json', { client_id: 'https://other.example.com/client.json', redirect_uris: ['https://doc-app.example.com/cb'] });
    documents.set('/redirect.json', (res) => res.writeHead(302, { location: `${docsBase}/good.json` }).end());
    const big = serveDocument('/big.json', JSON.stringify({ client_id: `${docsBase}/big.json`, redirect_uris: ['https://doc-app.example.com/cb'], padding: 'x'.repeat(6000) }));
    for (const id of [mismatch, `${docsBase}/redirect.json`, big]) {
      const res = await authorizeWith(id);
      expect(res.status, id).toBe(400);
      expect(await res.text()).toContain('invalid_client');
    }
  });

  it('never fetches private, link-local or (with the switch off) loopback addresses', async () => {
    for (const id of ['https://10.0.0.1/client.json', 'https://192.168.1.1/client.json', 'https://169.254.169.254/latest/client.json', 'https://[fd00::1]/client.json']) {
      const res = await authorizeWith(id);
      expect(res.status, id).toBe(400);
      expect(await res.text()).toContain('non-public address');
    }
    const id = serveDocument('/loop.json', { client_id: `${docsBase}/loop.json`, redirect_uris: ['https://doc-app.example.com/cb'] });
    let fetched = false;
    documents.set('/loop.json', (res) => {
      fetched = true;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ client_id: id, redirect_uris: ['https://doc-app.example.com/cb'] }));
    });
    const res = await authorizeWith(id, closed.url);
    expect(res.status).toBe(400);
    expect(fetched).toBe(false);
  });
});

describe('registration', () => {
  it('refuses http redirects off loopback, fragments and unknown auth methods', async () => {
    for (const [meta, error] of [
      [{ redirect_uris: ['http://app.example.com/cb'] }, 'invalid_redirect_uri'],
      [{ redirect_uris: ['https://app.example.com/cb#x'] }, 'invalid_redirect_uri'],
      [{ redirect_uris: [] }, 'invalid_redirect_uri'],
      [{ redirect_uris: ['https://app.example.com/cb'], token_endpoint_auth_method: 'private_key_jwt' }, 'invalid_client_metadata'],
      [{ redirect_uris: ['https://app.example.com/cb'], scope: 'user:read root' }, 'invalid_client_metadata'],
    ] as const) {
      const res = await register(server.url, meta);
      expect(res.status).toBe(400);
      expect(res.body.error).toBe(error);
    }
  });

  it('can be switched off: the metadata stops listing it and it answers 403', async () => {
    const meta = await call(closed.url, 'GET', '/.well-known/oauth-authorization-server');
    expect(meta.body.registration_endpoint).toBeUndefined();
    const res = await register(closed.url, { redirect_uris: ['https://app.example.com/cb'] });
    expect(res.status).toBe(403);
  });
});

describe('grants and the account', () => {
  it('connected apps lists the grant; revoking it stops its tokens at once; another user cannot see or revoke it', async () => {
    const { body } = await tokensFor(alice, { scope: 'user:read api-keys:read' });
    const list = await api(server.url, 'GET', '/api/user/oauth/grants', { cookie: alice.cookie });
    expectEnvelope(list, 200, 'OK');
    const grant = list.body.data.find((g: { clientId: string }) => g.clientId === pub);
    expect(grant).toMatchObject({ clientName: 'Native App', organizationId: null });
    const bob = await newUser(server.url, 'bob');
    expectEnvelope(await api(server.url, 'DELETE', `/api/user/oauth/grants/${grant.id}`, { cookie: bob.cookie }), 404, 'NOT_FOUND');
    expectEnvelope(await api(server.url, 'DELETE', `/api/user/oauth/grants/${grant.id}`, { cookie: alice.cookie }), 200, 'OK');
    expect((await call(server.url, 'GET', '/api/user/me', { bearer: body.access_token })).status).toBe(401);
  });

  it('a grant limited to one organization cannot reach another, and admins see it on their organization', async () => {
    const other = await api(server.url, 'POST', '/api/user/organizations', { cookie: alice.cookie, body: { name: 'Other org' } });
    const { body } = await tokensFor(alice, { scope: 'projects:read' }, alice.organizationId);
    expect((await call(server.url, 'GET', orgPath(alice.organizationId, '/projects'), { bearer: body.access_token })).status).toBe(200);
    const foreign = await call(server.url, 'GET', orgPath(other.body.data.id, '/projects'), { bearer: body.access_token });
    expect(foreign.status).toBe(403);
    expect(foreign.body.code).toBe('ORGANIZATION_MISMATCH');
    const seen = await api(server.url, 'GET', orgPath(alice.organizationId, '/oauth/grants'), { cookie: alice.cookie });
    expect(seen.body.data.some((g: { userId: string }) => g.userId === alice.id)).toBe(true);
  });

  it("acts with the consented scopes ∩ the user's role; a removed member's grant stops for that organization", async () => {
    const carol = await newUser(server.url, 'carol');
    await joinOrg(server, smtp, alice, alice.organizationId, carol, 'member');
    const { body } = await tokensFor(carol, { scope: 'projects:read members:write' });
    const invite = await call(server.url, 'POST', orgPath(alice.organizationId, '/members'), { bearer: body.access_token, body: { email: 'x@example.com', role: 'member' } });
    expect(invite.status).toBe(403);
    expect(invite.body.code).toBe('FORBIDDEN');
    expect((await call(server.url, 'GET', orgPath(alice.organizationId, '/projects'), { bearer: body.access_token })).status).toBe(200);
    expectEnvelope(await api(server.url, 'DELETE', orgPath(alice.organizationId, `/members/${carol.id}`), { cookie: alice.cookie }), 200, 'OK');
    const after = await call(server.url, 'GET', orgPath(alice.organizationId, '/projects'), { bearer: body.access_token });
    expect(after.body.code).toBe('ORGANIZATION_MISMATCH');
  });

  it('a disabled account stops its tokens; a password reset that revokes keys ends its grants', async () => {
    const dave = await newUser(server.url, 'dave');
    const { body } = await tokensFor(dave);
    await withTestDb(server, (db) => db.run('UPDATE users SET is_active = 0 WHERE id = ?', [dave.id]));
    expect((await call(server.url, 'GET', '/api/user/me', { bearer: body.access_token })).body.code).toBe('ACCOUNT_DISABLED');
    expect(await tokenRequest(server.url, { grant_type: 'refresh_token', refresh_token: body.refresh_token, client_id: pub })).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    await withTestDb(server, (db) => db.run('UPDATE users SET is_active = 1 WHERE id = ?', [dave.id]));
    expect((await call(server.url, 'GET', '/api/user/me', { bearer: body.access_token })).status).toBe(200);
    expect(await introspect(body.refresh_token)).toMatchObject({ active: true });

    const seen = mailsTo(smtp, dave.email, RESET_SUBJECT).length;
    expectEnvelope(await api(server.url, 'POST', '/api/auth/request-password-reset', { body: { email: dave.email } }), 200, 'OK');
    const token = tokenOf(await nextMail(smtp, dave.email, RESET_SUBJECT, seen));
    expectEnvelope(await api(server.url, 'POST', '/api/auth/reset-password', { body: { token, newPassword: 'another-long-passphrase-2', revokeKeys: true } }), 200, 'OK');
    expect((await call(server.url, 'GET', '/api/user/me', { bearer: body.access_token })).status).toBe(401);
    expect(await introspect(body.refresh_token)).toEqual({ active: false });
  });
});
