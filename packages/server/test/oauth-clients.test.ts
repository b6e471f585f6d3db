/**
 * The authorization server driven by openid-client (v6), a client nobody here wrote: discovery,
 * code + PKCE with the consent approved in the real page, refresh, revocation, introspection and
 * the device grant, against the real server (SQLite or PostgreSQL).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { call, newKey, newUser, startServer, type RunningServer, type TestUser } from './harness.js';
import { answerConsent, answerDevice, register } from './oauth-support.js';

let server: RunningServer;
let alice: TestUser;
let confidential: { id: string; secret: string };
const REDIRECT = 'https://app.example.com/callback';

beforeAll(async () => {
  server = await startServer({ ACCT_OAUTH_DEVICE_INTERVAL: '1', ACCT_OAUTH_REFRESH_RETRY_SECONDS: '1' });
  alice = await newUser(server.url, 'alice');
  const reg = await register(server.url, { client_name: 'Example App', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'client_secret_basic' });
  expect(reg.status).toBe(201);
  confidential = { id: reg.body.client_id, secret: reg.body.client_secret };
});
afterAll(async () => {
  await server?.stop();
});

async function configFor(clientId: string, auth: oidc.ClientAuth) {
  return oidc.discovery(new URL(server.url), clientId, undefined, auth, { execute: [oidc.allowInsecureRequests] });
}

async function codeFlow(config: oidc.Configuration, scope: string) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT, scope, state, code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
  });
  const callback = await answerConsent(url.href, alice.cookie);
  return oidc.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: verifier, expectedState: state });
}

describe('openid-client against acct', () => {
  it('discovers the server: issuer, endpoints, S256 only, iss parameter, metadata documents, auth method none', async () => {
    const config = await configFor(confidential.id, oidc.ClientSecretBasic(confidential.secret));
    const meta = config.serverMetadata();
    expect(meta.issuer).toBe(server.url);
    expect(meta.code_challenge_methods_supported).toEqual(['S256']);
    expect(meta.authorization_response_iss_parameter_supported).toBe(true);
    expect(meta['client_id_metadata_document_supported']).toBe(true);
    expect(meta.token_endpoint_auth_methods_supported).toContain('none');
    for (const endpoint of ['device_authorization_endpoint', 'revocation_endpoint', 'introspection_endpoint', 'registration_endpoint'] as const)
      expect(meta[endpoint]).toMatch(new RegExp(`^${server.url}/oauth2/`));
    expect(meta.scopes_supported).toEqual(expect.arrayContaining(['user:read', 'projects:write', 'openid', 'offline_access']));
  });

  it('serves jwks_uri as an empty, cacheable JWK Set, named in both discovery documents; OpenID discovery still works', async () => {
    const config = await configFor(confidential.id, oidc.ClientSecretBasic(confidential.secret));
    const meta = config.serverMetadata();
    expect(meta.jwks_uri).toBe(`${server.url}/oauth2/jwks`);
    const openid = (await (await fetch(`${server.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(openid['jwks_uri']).toBe(`${server.url}/oauth2/jwks`);
    expect(openid['subject_types_supported']).toEqual(['public']);
    const rfc8414 = (await (await fetch(`${server.url}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
    expect(rfc8414['jwks_uri']).toBe(`${server.url}/oauth2/jwks`);
    const jwks = await fetch(meta.jwks_uri!);
    expect(jwks.status).toBe(200);
    expect(jwks.headers.get('content-type')).toMatch(/^application\/jwk-set\+json/);
    expect(jwks.headers.get('cache-control')).toMatch(/^public, max-age=\d+/);
    expect(await jwks.json()).toEqual({ keys: [] });
    // openid-client's OIDC discovery (the openid-configuration document) is what configFor used; a
    // code flow on it still completes (it verifies no signature: there is nothing signed).
    const tokens = await codeFlow(config, 'user:read');
    expect(tokens.access_token).toMatch(/^bo_/);
  });

  it('completes code + PKCE with consent given in the page; the token calls the API with its scopes only', async () => {
    const config = await configFor(confidential.id, oidc.ClientSecretBasic(confidential.secret));
    const tokens = await codeFlow(config, 'user:read projects:read');
    expect(tokens.access_token).toMatch(/^bo_/);
    expect(tokens.refresh_token).toMatch(/^br_/);
    expect(tokens.scope).toBe('user:read projects:read');
    const me = await call(server.url, 'GET', '/api/user/me', { bearer: tokens.access_token });
    expect(me.status).toBe(200);
    expect(me.body.data.email).toBe(alice.email);
    expect(me.headers.get('x-token-scopes')).toBe('user:read, projects:read');
    const write = await call(server.url, 'POST', `/api/user/organizations/${alice.organizationId}/projects`, { bearer: tokens.access_token, body: { name: 'Nope' } });
    expect(write.status).toBe(403);
    expect(write.body.code).toBe('INSUFFICIENT_SCOPE');
  });

  it('refreshes with rotation: the new pair works, the old refresh token retried at once gets the same pair, later it ends the family', async () => {
    const config = await configFor(confidential.id, oidc.ClientSecretBasic(confidential.secret));
    const first = await codeFlow(config, 'user:read');
    const second = await oidc.refreshTokenGrant(config, first.refresh_token!);
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(second.access_token).not.toBe(first.access_token);
    const retried = await oidc.refreshTokenGrant(config, first.refresh_token!);
    expect(retried.access_token).toBe(second.access_token);
    expect(retried.refresh_token).toBe(second.refresh_token);
    expect((await call(server.url, 'GET', '/api/user/me', { bearer: second.access_token })).status).toBe(200);

    await new Promise((r) => setTimeout(r, 1500));
    await expect(oidc.refreshTokenGrant(config, first.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    const after = await oidc.tokenIntrospection(config, second.refresh_token!);
    expect(after.active).toBe(false);
    expect((await oidc.tokenIntrospection(config, second.access_token)).active).toBe(false);
    expect((await call(server.url, 'GET', '/api/user/me', { bearer: second.access_token })).status).toBe(401);
  });

  it('introspects OAuth tokens and PATs alike, and revocation of a refresh token ends its access tokens', async () => {
    const config = await configFor(confidential.id, oidc.ClientSecretBasic(confidential.secret));
    const tokens = await codeFlow(config, 'user:read');
    const info = await oidc.tokenIntrospection(config, tokens.access_token);
    expect(info).toMatchObject({ active: true, scope: 'user:read', client_id: confidential.id, sub: alice.id, organization_id: null });
    expect(typeof info.exp).toBe('number');

    const pat = await newKey(server.url, alice.cookie, ['projects:read'], { metadata: { organizationId: alice.organizationId } });
    const patInfo = await oidc.tokenIntrospection(config, pat.key);
    expect(patInfo).toMatchObject({ active: true, scope: 'projects:read', sub: alice.id, organization_id: alice.organizationId });

    await oidc.tokenRevocation(config, tokens.refresh_token!);
    expect((await oidc.tokenIntrospection(config, tokens.access_token)).active).toBe(false);
    expect((await call(server.url, 'GET', '/api/user/me', { bearer: tokens.access_token })).status).toBe(401);
  });

  it('answers a PAT with the same members as an OAuth token where they apply (docs/oauth.md table), exactly', async () => {
    const config = await configFor(confidential.id, oidc.ClientSecretBasic(confidential.secret));
    const tokens = await codeFlow(config, 'user:read');
    const oauthInfo = await oidc.tokenIntrospection(config, tokens.access_token);
    expect(Object.keys(oauthInfo).sort()).toEqual(['active', 'client_id', 'exp', 'iat', 'iss', 'organization_id', 'scope', 'sub', 'token_type']);
    expect(oauthInfo).toMatchObject({ token_type: 'Bearer', iss: server.url });

    // A pinned PAT with an expiry: every shared member, no client_id or aud, its key_id.
    const pinned = await newKey(server.url, alice.cookie, ['projects:read', 'user:read'], { expiresIn: 86_400, metadata: { organizationId: alice.organizationId } });
    const info = await oidc.tokenIntrospection(config, pinned.key);
    const now = Math.floor(Date.now() / 1000);
    expect(Object.keys(info).sort()).toEqual(['active', 'exp', 'iat', 'iss', 'key_id', 'organization_id', 'scope', 'sub', 'token_type']);
    expect(info).toMatchObject({ active: true, scope: 'projects:read user:read', sub: alice.id, token_type: 'api_key', key_id: pinned.id, iss: server.url, organization_id: alice.organizationId });
    expect(info.exp! - now).toBeGreaterThan(86_400 - 120);
    expect(info.exp! - now).toBeLessThanOrEqual(86_400 + 5);
    expect(Math.abs(info.iat! - now)).toBeLessThan(120);

    // An unpinned PAT without expiry: organization_id null, no exp.
    const open = await newKey(server.url, alice.cookie, ['user:read']);
    const openInfo = await oidc.tokenIntrospection(config, open.key);
    expect(Object.keys(openInfo).sort()).toEqual(['active', 'iat', 'iss', 'key_id', 'organization_id', 'scope', 'sub', 'token_type']);
    expect(openInfo.organization_id).toBeNull();

    // Rotated with a grace period: the old secret answers until the grace ends (exp), the new one like the key.
    const rotated = await call(server.url, 'POST', '/api/auth/api-key/rotate', { cookie: alice.cookie, body: { id: open.id, gracePeriod: 600 } });
    expect(rotated.status).toBe(200);
    const old = await oidc.tokenIntrospection(config, open.key);
    expect(old.active).toBe(true);
    expect(old.exp! - Math.floor(Date.now() / 1000)).toBeGreaterThan(600 - 120);
    expect(old.exp! - Math.floor(Date.now() / 1000)).toBeLessThanOrEqual(600 + 5);
    const fresh = await oidc.tokenIntrospection(config, rotated.body.data.key);
    expect(fresh.active).toBe(true);
    expect(fresh.exp).toBeUndefined();

    // Revoked: inactive, nothing else.
    expect((await call(server.url, 'POST', '/api/auth/api-key/delete', { cookie: alice.cookie, body: { id: pinned.id } })).status).toBe(200);
    expect(await oidc.tokenIntrospection(config, pinned.key)).toEqual({ active: false });
  });

  it('completes the device grant with acct-cli, approved in the /device page', async () => {
    const config = await configFor('acct-cli', oidc.None());
    const device = await oidc.initiateDeviceAuthorization(config, { scope: 'user:read organizations:read' });
    expect(device.verification_uri).toBe(`${server.url}/device`);
    expect(device.user_code).toMatch(/^[A-Z]{4}-[A-Z]{4}$/);
    const polling = oidc.pollDeviceAuthorizationGrant(config, device);
    await new Promise((r) => setTimeout(r, 300));
    const done = await answerDevice(server.url, device.user_code, alice.cookie);
    expect(done).toContain('Device connected');
    const tokens = await polling;
    expect(tokens.access_token).toMatch(/^bo_/);
    const orgs = await call(server.url, 'GET', '/api/user/organizations', { bearer: tokens.access_token });
    expect(orgs.status).toBe(200);
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.access_token).toMatch(/^bo_/);
  });
});
