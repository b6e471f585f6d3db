/**
 * Remembered consent: a second authorization for the same client, scopes and resource skips the
 * consent page (the code comes back at once, with state and RFC 9207 iss); other scopes, another
 * resource, another user or prompt=consent show the page; revoking the app in "Connected apps"
 * forgets the consent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newUser, startServer, type RunningServer, type TestUser } from './harness.js';
import { api, expectEnvelope, expectNoServerErrors } from './support.js';
import { formFields, pkce, postForm, register, tokenRequest } from './oauth-support.js';

let server: RunningServer;
let alice: TestUser;
let clientId: string;
const REDIRECT = 'https://remember.example.com/cb';

beforeAll(async () => {
  server = await startServer();
  alice = await newUser(server.url, 'alice');
  const reg = await register(server.url, { client_name: 'Remember App', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' });
  clientId = reg.body.client_id;
});
afterAll(async () => {
  if (server) expectNoServerErrors(server);
  await server?.stop();
});

/** Follows /oauth2/authorize to /oauth/consent; returns the consent answer: a page (200) or a redirect to the client (302). */
async function authorize(user: TestUser, params: Record<string, string>) {
  const { verifier, challenge } = pkce();
  const url = new URL('/oauth2/authorize', server.url);
  for (const [k, v] of Object.entries({ response_type: 'code', client_id: clientId, redirect_uri: REDIRECT, scope: 'user:read', state: 'st-r', code_challenge: challenge, code_challenge_method: 'S256', ...params }))
    url.searchParams.set(k, v);
  const start = await fetch(url, { redirect: 'manual', headers: { cookie: user.cookie } });
  expect(start.status).toBe(302);
  const consent = new URL(start.headers.get('location')!, server.url);
  expect(consent.pathname).toBe('/oauth/consent');
  const page = await fetch(consent, { redirect: 'manual', headers: { cookie: user.cookie } });
  return { page, verifier, html: page.status === 200 ? await page.text() : '' };
}

/** Presses Allow on a consent page; returns the code. */
async function allow(user: TestUser, html: string): Promise<string> {
  const answer = await postForm(server.url, '/oauth/consent', { ...formFields(html), decision: 'allow', organization_id: '' }, user.cookie);
  expect(answer.status).toBe(303);
  return new URL(answer.headers.get('location')!).searchParams.get('code')!;
}

async function exchange(code: string, verifier: string) {
  return tokenRequest(server.url, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier, client_id: clientId });
}

describe('remembered consent', () => {
  it('skips the page for the same client, scopes and resource; the code works and carries state and iss', async () => {
    const first = await authorize(alice, { scope: 'user:read projects:read' });
    expect(first.page.status).toBe(200);
    expect(first.html).toContain('Remember App');
    expect((await exchange(await allow(alice, first.html), first.verifier)).status).toBe(200);

    // Same scopes in another order: remembered.
    const second = await authorize(alice, { scope: 'projects:read user:read' });
    expect(second.page.status).toBe(302);
    const back = new URL(second.page.headers.get('location')!);
    expect(`${back.origin}${back.pathname}`).toBe(REDIRECT);
    expect(back.searchParams.get('state')).toBe('st-r');
    expect(back.searchParams.get('iss')).toBe(server.url);
    const tokens = await exchange(back.searchParams.get('code')!, second.verifier);
    expect(tokens.status).toBe(200);
    expect(tokens.body.scope.split(' ').sort()).toEqual(['projects:read', 'user:read']);
  });

  it('asks again for other scopes, another resource, prompt=consent, or another user', async () => {
    const base = await authorize(alice, { scope: 'user:read' });
    if (base.page.status === 200) await allow(alice, base.html);
    expect((await authorize(alice, { scope: 'user:read' })).page.status).toBe(302);
    expect((await authorize(alice, { scope: 'user:read api-keys:read' })).page.status).toBe(200);
    expect((await authorize(alice, { scope: 'user:read', resource: `${server.url}/api` })).page.status).toBe(200);
    expect((await authorize(alice, { scope: 'user:read', prompt: 'consent' })).page.status).toBe(200);
    const bob = await newUser(server.url, 'bob');
    expect((await authorize(bob, { scope: 'user:read' })).page.status).toBe(200);
  });

  it('revoking the app in Connected apps forgets the consent', async () => {
    const first = await authorize(alice, { scope: 'projects:write' });
    expect(first.page.status).toBe(200);
    await allow(alice, first.html);
    expect((await authorize(alice, { scope: 'projects:write' })).page.status).toBe(302);
    const list = await api(server.url, 'GET', '/api/user/oauth/grants', { cookie: alice.cookie });
    const grants = list.body.data.filter((g: { clientId: string }) => g.clientId === clientId);
    expect(grants.length).toBeGreaterThan(0);
    for (const g of grants) expectEnvelope(await api(server.url, 'DELETE', `/api/user/oauth/grants/${g.id}`, { cookie: alice.cookie }), 200, 'OK');
    expect((await authorize(alice, { scope: 'projects:write' })).page.status).toBe(200);
  });
});
