// The token endpoint's two paths (oauth/grants.ts): on SQLite a successful exchange or refresh runs
// as one synchronous transaction of hand-written statements, anything else falls through to the
// general kysely path; PostgreSQL always takes the general one. Both passes run the same
// assertions on what is stored, so the two paths are held to the same rows, and every refusal
// that falls through must leave nothing written by the first.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newUser, startServer, withTestDb, type RunningServer, type TestUser } from './harness.js';
import { expectNoServerErrors } from './support.js';
import { answerConsent, introspectAs, pkce, register, tokenRequest } from './oauth-support.js';

let server: RunningServer;
let alice: TestUser;
let web: { id: string; secret: string };
const REDIRECT = 'https://app.example.com/cb';
const ACCESS_SECONDS = 600;
const REFRESH_SECONDS = 86_400;

beforeAll(async () => {
  server = await startServer({ ACCT_OAUTH_ACCESS_TOKEN_SECONDS: String(ACCESS_SECONDS), ACCT_OAUTH_REFRESH_TOKEN_SECONDS: String(REFRESH_SECONDS) });
  alice = await newUser(server.url, 'alice');
  const conf = await register(server.url, { client_name: 'Paths App', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'client_secret_basic' });
  web = { id: conf.body.client_id, secret: conf.body.client_secret };
});
afterAll(async () => {
  if (server) expectNoServerErrors(server);
  await server?.stop();
});

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const seconds = (from: string, to: string) => (new Date(to).getTime() - new Date(from).getTime()) / 1000;

async function code(scope = 'user:read projects:read') {
  const { verifier, challenge } = pkce();
  const authorize = new URL('/oauth2/authorize', server.url);
  for (const [k, v] of Object.entries({ response_type: 'code', client_id: web.id, redirect_uri: REDIRECT, scope, state: 's', code_challenge: challenge, code_challenge_method: 'S256' }))
    authorize.searchParams.set(k, v);
  const location = await answerConsent(authorize.href, alice.cookie);
  return { code: new URL(location).searchParams.get('code')!, verifier };
}

const introspect = (token: string) => introspectAs(server.url, web, token);

interface TokenRow { id: string; kind: string; grant_id: string; scopes: string; resource: string | null; created_at: string; expires_at: string; used_at: string | null; revoked_at: string | null }
const tokenRow = (token: string) =>
  withTestDb(server, async (db) => (await db.all<TokenRow>('select id, kind, grant_id, scopes, resource, created_at, expires_at, used_at, revoked_at from oauth_tokens where token_hash = ?', [sha256(token)]))[0]);

describe('token endpoint: what a success stores', () => {
  it('a code exchange marks the code used and stores the access and refresh rows of its grant', async () => {
    const { code: c, verifier } = await code();
    const res = await tokenRequest(server.url, { grant_type: 'authorization_code', code: c, redirect_uri: REDIRECT, code_verifier: verifier }, web);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ token_type: 'Bearer', expires_in: ACCESS_SECONDS, scope: 'user:read projects:read' });
    const access = await tokenRow(res.body['access_token']);
    const refresh = await tokenRow(res.body['refresh_token']);
    expect(access).toMatchObject({ kind: 'access', resource: null, used_at: null, revoked_at: null });
    expect(refresh).toMatchObject({ kind: 'refresh', grant_id: access!.grant_id, resource: null, used_at: null, revoked_at: null });
    expect(JSON.parse(access!.scopes)).toEqual(['user:read', 'projects:read']);
    expect(JSON.parse(refresh!.scopes)).toEqual(['user:read', 'projects:read']);
    expect(seconds(access!.created_at, access!.expires_at)).toBe(ACCESS_SECONDS);
    expect(seconds(refresh!.created_at, refresh!.expires_at)).toBe(REFRESH_SECONDS);
    expect(access!.id).toMatch(/^ot_/);
    expect(access!.id).not.toBe(refresh!.id);
    const used = await withTestDb(server, (db) => db.all<{ used_at: string | null }>('select used_at from oauth_codes where code_hash = ?', [sha256(c)]));
    expect(used[0]!.used_at).not.toBeNull();
    // The same code again: refused, and (the general path) what it issued is revoked.
    const again = await tokenRequest(server.url, { grant_type: 'authorization_code', code: c, redirect_uri: REDIRECT, code_verifier: verifier }, web);
    expect(again).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(await introspect(res.body['access_token'])).toEqual({ active: false });
  });

  it('a refresh rotates: the old token is used (inactive at once, even just after an introspection), the new access narrowed, the grant marked used', async () => {
    const { code: c, verifier } = await code();
    const first = await tokenRequest(server.url, { grant_type: 'authorization_code', code: c, redirect_uri: REDIRECT, code_verifier: verifier }, web);
    expect((await introspect(first.body['refresh_token']))['active']).toBe(true);
    const second = await tokenRequest(server.url, { grant_type: 'refresh_token', refresh_token: first.body['refresh_token'], scope: 'user:read' }, web);
    expect(second).toMatchObject({ status: 200, body: { scope: 'user:read', expires_in: ACCESS_SECONDS } });
    expect(await introspect(first.body['refresh_token'])).toEqual({ active: false });
    expect(await introspect(second.body['access_token'])).toMatchObject({ active: true, scope: 'user:read' });
    expect(await introspect(second.body['refresh_token'])).toMatchObject({ active: true, scope: 'user:read projects:read' });
    const old = await tokenRow(first.body['refresh_token']);
    expect(old!.used_at).not.toBeNull();
    const access = await tokenRow(second.body['access_token']);
    const refresh = await tokenRow(second.body['refresh_token']);
    expect(access).toMatchObject({ kind: 'access', grant_id: old!.grant_id, used_at: null, revoked_at: null });
    expect(JSON.parse(access!.scopes)).toEqual(['user:read']);
    expect(refresh).toMatchObject({ kind: 'refresh', grant_id: old!.grant_id, used_at: null, revoked_at: null });
    expect(JSON.parse(refresh!.scopes)).toEqual(['user:read', 'projects:read']);
    expect(seconds(refresh!.created_at, refresh!.expires_at)).toBe(REFRESH_SECONDS);
    const grant = await withTestDb(server, (db) => db.all<{ last_used_at: string | null }>('select last_used_at from oauth_grants where id = ?', [old!.grant_id]));
    expect(grant[0]!.last_used_at).not.toBeNull();
    // A retry inside the retry window is answered with the very same pair (derived from the old token).
    const retry = await tokenRequest(server.url, { grant_type: 'refresh_token', refresh_token: first.body['refresh_token'], scope: 'user:read' }, web);
    expect(retry).toMatchObject({ status: 200, body: { access_token: second.body['access_token'], refresh_token: second.body['refresh_token'] } });
  });
});

describe('token endpoint: a refusal that falls through writes nothing first', () => {
  it('a refresh asking for more than was granted is invalid_scope, and the token still rotates afterwards', async () => {
    const { code: c, verifier } = await code('user:read');
    const first = await tokenRequest(server.url, { grant_type: 'authorization_code', code: c, redirect_uri: REDIRECT, code_verifier: verifier }, web);
    const wider = await tokenRequest(server.url, { grant_type: 'refresh_token', refresh_token: first.body['refresh_token'], scope: 'user:read projects:write' }, web);
    expect(wider).toMatchObject({ status: 400, body: { error: 'invalid_scope' } });
    expect((await tokenRow(first.body['refresh_token']))!.used_at).toBeNull();
    const resource = await tokenRequest(server.url, { grant_type: 'refresh_token', refresh_token: first.body['refresh_token'], resource: `${server.url}/api` }, web);
    expect(resource).toMatchObject({ status: 400, body: { error: 'invalid_target' } });
    const ok = await tokenRequest(server.url, { grant_type: 'refresh_token', refresh_token: first.body['refresh_token'] }, web);
    expect(ok).toMatchObject({ status: 200, body: { scope: 'user:read' } });
  });

  it('an exchange asking for more than was granted is invalid_scope; an expired code and a wrong redirect are invalid_grant; none stores a token', async () => {
    const tokenCount = async () => Number((await withTestDb(server, (db) => db.all<{ n: number }>('select count(*) as n from oauth_tokens')))[0]!.n);
    const before = await tokenCount();
    const wide = await code('user:read');
    const wider = await tokenRequest(server.url, { grant_type: 'authorization_code', code: wide.code, redirect_uri: REDIRECT, code_verifier: wide.verifier, scope: 'projects:write' }, web);
    expect(wider).toMatchObject({ status: 400, body: { error: 'invalid_scope' } });
    const elsewhere = await code('user:read');
    const redirect = await tokenRequest(server.url, { grant_type: 'authorization_code', code: elsewhere.code, redirect_uri: 'https://app.example.com/other', code_verifier: elsewhere.verifier }, web);
    expect(redirect).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    const late = await code('user:read');
    await withTestDb(server, (db) => db.run('update oauth_codes set expires_at = ? where code_hash = ?', [new Date(Date.now() - 1000).toISOString(), sha256(late.code)]));
    const expired = await tokenRequest(server.url, { grant_type: 'authorization_code', code: late.code, redirect_uri: REDIRECT, code_verifier: late.verifier }, web);
    expect(expired).toMatchObject({ status: 400, body: { error: 'invalid_grant', error_description: expect.stringContaining('expired') } });
    expect(await tokenCount()).toBe(before);
  });

  it('a refresh of a disabled account is refused and its token stays unused', async () => {
    const bob = await newUser(server.url, 'bob');
    const { verifier, challenge } = pkce();
    const authorize = new URL('/oauth2/authorize', server.url);
    for (const [k, v] of Object.entries({ response_type: 'code', client_id: web.id, redirect_uri: REDIRECT, scope: 'user:read', state: 's', code_challenge: challenge, code_challenge_method: 'S256' }))
      authorize.searchParams.set(k, v);
    const c = new URL(await answerConsent(authorize.href, bob.cookie)).searchParams.get('code')!;
    const first = await tokenRequest(server.url, { grant_type: 'authorization_code', code: c, redirect_uri: REDIRECT, code_verifier: verifier }, web);
    expect(first.status).toBe(200);
    await withTestDb(server, (db) => db.run('update users set is_active = ? where email = ?', [0, bob.email]));
    const refused = await tokenRequest(server.url, { grant_type: 'refresh_token', refresh_token: first.body['refresh_token'] }, web);
    expect(refused).toMatchObject({ status: 400, body: { error: 'invalid_grant', error_description: expect.stringContaining('disabled') } });
    expect((await tokenRow(first.body['refresh_token']))!.used_at).toBeNull();
  });
});
