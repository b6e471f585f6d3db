/**
 * Remembered consent: a second authorization for the same client, scopes and resource skips the
 * consent page (the code comes back at once, with state and RFC 9207 iss); other scopes, another
 * resource, another user or prompt=consent show the page; revoking the app in "Connected apps"
 * forgets the consent. prompt=none (OIDC Core 3.1.2.1) answers without a page: login_required,
 * consent_required or the code. Signed-out browsers go through the console's sign-in (and
 * sign-up) with a same-origin return_to and come back to exactly the consent or /device page.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { email, newUser, PASSWORD, startServer, type RunningServer, type TestUser } from './harness.js';
import { api, expectEnvelope, expectNoServerErrors } from './support.js';
import { formFields, pkce, postForm, register, signInAt, tokenRequest } from './oauth-support.js';

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

function authorizeUrl(params: Record<string, string>, challenge = pkce().challenge): URL {
  const url = new URL('/oauth2/authorize', server.url);
  for (const [k, v] of Object.entries({ response_type: 'code', client_id: clientId, redirect_uri: REDIRECT, scope: 'user:read', state: 'st-n', code_challenge: challenge, code_challenge_method: 'S256', ...params }))
    url.searchParams.set(k, v);
  return url;
}

/** The answer to the client (a redirect to REDIRECT): its parameters. */
function answerAt(res: Response): URLSearchParams {
  expect(res.status).toBe(302);
  const back = new URL(res.headers.get('location')!);
  expect(`${back.origin}${back.pathname}`).toBe(REDIRECT);
  return back.searchParams;
}

describe('prompt', () => {
  it('prompt=none answers at the authorization endpoint without a page: login_required when signed out, with state and iss', async () => {
    const res = await fetch(authorizeUrl({ prompt: 'none' }), { redirect: 'manual' });
    const answer = answerAt(res);
    expect(answer.get('error')).toBe('login_required');
    expect(answer.get('state')).toBe('st-n');
    expect(answer.get('iss')).toBe(server.url);
    expect(answer.get('code')).toBeNull();
  });

  it('prompt=none: consent_required without a remembered consent, the code with one (and the code works)', async () => {
    const carol = await newUser(server.url, 'carol');
    const missing = answerAt(await fetch(authorizeUrl({ prompt: 'none', scope: 'organizations:read' }), { redirect: 'manual', headers: { cookie: carol.cookie } }));
    expect(missing.get('error')).toBe('consent_required');
    expect(missing.get('state')).toBe('st-n');
    expect(missing.get('iss')).toBe(server.url);

    const first = await authorize(carol, { scope: 'organizations:read' });
    expect(first.page.status).toBe(200);
    await allow(carol, first.html);
    const { verifier, challenge } = pkce();
    const silent = answerAt(await fetch(authorizeUrl({ prompt: 'none', scope: 'organizations:read' }, challenge), { redirect: 'manual', headers: { cookie: carol.cookie } }));
    expect(silent.get('error')).toBeNull();
    expect(silent.get('state')).toBe('st-n');
    expect(silent.get('iss')).toBe(server.url);
    const tokens = await exchange(silent.get('code')!, verifier);
    expect(tokens.status).toBe(200);
    expect(tokens.body.scope).toBe('organizations:read');
    // Remembered for these scopes only: others still need consent, and prompt=none says so.
    expect(answerAt(await fetch(authorizeUrl({ prompt: 'none', scope: 'projects:read' }), { redirect: 'manual', headers: { cookie: carol.cookie } })).get('error')).toBe('consent_required');
  });

  it('prompt=consent shows the page even when remembered; none with another value, or an unsupported value, is invalid_request', async () => {
    const dave = await newUser(server.url, 'dave');
    const first = await authorize(dave, { scope: 'user:read' });
    await allow(dave, first.html);
    expect((await authorize(dave, { scope: 'user:read' })).page.status).toBe(302);
    const forced = await authorize(dave, { scope: 'user:read', prompt: 'consent' });
    expect(forced.page.status).toBe(200);
    expect(forced.html).toContain('Allow');
    for (const prompt of ['none consent', 'login', 'select_account']) {
      const answer = answerAt(await fetch(authorizeUrl({ prompt }), { redirect: 'manual', headers: { cookie: dave.cookie } }));
      expect(answer.get('error'), prompt).toBe('invalid_request');
      expect(answer.get('error_description'), prompt).toContain('prompt');
      expect(answer.get('iss'), prompt).toBe(server.url);
      expect(answer.get('state'), prompt).toBe('st-n');
    }
  });

  it('the metadata lists the prompt values honoured', async () => {
    const meta = (await (await fetch(`${server.url}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
    expect(meta['prompt_values_supported']).toEqual(['none', 'consent']);
  });
});

describe('signed-out browsers', () => {
  it('the consent page sends them to /sign-in with return_to; signing in brings them back to exactly that page', async () => {
    const url = authorizeUrl({ scope: 'user:read projects:read', state: 'a b&c' });
    const start = await fetch(url, { redirect: 'manual' });
    expect(start.status).toBe(302);
    const consent = new URL(start.headers.get('location')!, server.url);
    const page = await fetch(consent, { redirect: 'manual' });
    expect(page.status).toBe(303);
    const back = `${consent.pathname}${consent.search}`;
    expect(page.headers.get('location')).toBe(`/sign-in?return_to=${encodeURIComponent(back)}`);
    const signedIn = await signInAt(server.url, page.headers.get('location')!, alice.email, PASSWORD);
    expect(signedIn.location).toBe(back);
    const shown = await fetch(new URL(signedIn.location, server.url), { headers: { cookie: signedIn.cookie }, redirect: 'manual' });
    // Alice consented to these scopes earlier in this file, so the code may come at once; either way the request is intact.
    if (shown.status === 302) expect(answerAt(shown).get('state')).toBe('a b&c');
    else {
      expect(shown.status).toBe(200);
      const html = await shown.text();
      expect(html).toContain('Remember App');
      expect(formFields(html)['q']).toBe(consent.search.slice(1));
    }
  });

  it('keeps a long authorization request (a 2.5 KB state) through sign-in', async () => {
    const state = 's'.repeat(2500);
    const start = await fetch(authorizeUrl({ state }), { redirect: 'manual' });
    const consent = new URL(start.headers.get('location')!, server.url);
    const page = await fetch(consent, { redirect: 'manual' });
    const signedIn = await signInAt(server.url, page.headers.get('location')!, alice.email, PASSWORD);
    expect(signedIn.location).toBe(`${consent.pathname}${consent.search}`);
    expect(new URL(signedIn.location, server.url).searchParams.get('state')).toBe(state);
  });

  it('/device sends them to /sign-in with return_to, keeping the user code', async () => {
    const bare = await fetch(`${server.url}/device`, { redirect: 'manual' });
    expect(bare.status).toBe(303);
    expect(bare.headers.get('location')).toBe(`/sign-in?return_to=${encodeURIComponent('/device')}`);
    const withCode = await fetch(`${server.url}/device?user_code=ABCD-EFGH`, { redirect: 'manual' });
    expect(withCode.headers.get('location')).toBe(`/sign-in?return_to=${encodeURIComponent('/device?user_code=ABCD-EFGH')}`);
    const signedIn = await signInAt(server.url, withCode.headers.get('location')!, alice.email, PASSWORD);
    expect(signedIn.location).toBe('/device?user_code=ABCD-EFGH');
    // A post whose session ended goes the same way.
    const post = await postForm(server.url, '/device', { user_code: 'ABCD-EFGH', decision: 'allow', csrf: 'x' });
    expect(post.status).toBe(303);
    expect(post.headers.get('location')).toBe(`/sign-in?return_to=${encodeURIComponent('/device?user_code=ABCD-EFGH')}`);
  });

  it('sign-up keeps the return_to through to the sign-in link; a return_to that is not a same-origin path is dropped', async () => {
    const back = `/oauth/consent${authorizeUrl({}).search}`;
    const signInPage = await (await fetch(`${server.url}/sign-in?return_to=${encodeURIComponent(back)}`, { headers: { accept: 'text/html' } })).text();
    const signUpHref = /href="([^"]*)">Create an account<\/a>/.exec(signInPage)?.[1]?.replaceAll('&amp;', '&');
    expect(signUpHref).toBe(`/sign-up?return_to=${encodeURIComponent(back)}`);
    const form = await fetch(new URL(signUpHref!, server.url), { headers: { accept: 'text/html' } });
    const html = await form.text();
    const csrfCookie = form.headers.getSetCookie().find((c) => c.startsWith('acct_csrf='))!.split(';')[0]!;
    const csrf = /name="_csrf" value="([^"]+)"/.exec(html)![1]!;
    expect(/name="return_to" value="([^"]*)"/.exec(html)?.[1]?.replaceAll('&amp;', '&')).toBe(back);

    const signUp = (returnTo: string) => fetch(`${server.url}/sign-up`, {
      method: 'POST', redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: csrfCookie, origin: server.url, accept: 'text/html' },
      body: new URLSearchParams({ _csrf: csrf, name: 'New Person', email: email('returning'), password: PASSWORD, return_to: returnTo }).toString(),
    });
    const done = await signUp(back);
    expect(done.status).toBe(201);
    const next = /<a href="([^"]+)">Go to sign in<\/a>/.exec(await done.text())?.[1]?.replaceAll('&amp;', '&');
    expect(next).toBe(`/sign-in?return_to=${encodeURIComponent(back)}`);

    for (const bad of ['//evil.example/x', '/\\evil.example', 'https://evil.example/', 'javascript:alert(1)', '/\t/evil.example']) {
      const page = await (await fetch(`${server.url}/sign-up?return_to=${encodeURIComponent(bad)}`, { headers: { accept: 'text/html' } })).text();
      expect(page, bad).not.toContain('name="return_to"');
      const refused = await signUp(bad);
      expect(/<a href="([^"]+)">Go to sign in<\/a>/.exec(await refused.text())?.[1], bad).toBe('/sign-in');
    }
  });
});
