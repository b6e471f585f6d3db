/**
 * Issue 18's audit log covers OAuth: approving a client writes one `oauth.granted` row, revoking it
 * in Connected apps one `oauth.revoked` row (a second revoke, nothing), in the same transaction.
 * A client that revokes its own refresh token (RFC 7009, with its credentials) is that row's actor.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newUser, startServer, type RunningServer, type TestUser } from './harness.js';
import { api, expectEnvelope, expectNoServerErrors } from './support.js';
import { consentedCode, formFields, pkce, postForm, register, tokenRequest } from './oauth-support.js';

let server: RunningServer;
let alice: TestUser;
let clientId: string;
const REDIRECT = 'https://audit.example.com/cb';

beforeAll(async () => {
  server = await startServer();
  alice = await newUser(server.url, 'alice');
  const reg = await register(server.url, { client_name: 'Audited App', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' });
  clientId = reg.body.client_id;
});
afterAll(async () => {
  if (server) expectNoServerErrors(server);
  await server?.stop();
});

async function rows(action: string) {
  const res = await api(server.url, 'GET', `/api/user/audit-log?action=${action}`, { cookie: alice.cookie });
  expectEnvelope(res, 200, 'OK');
  return res.body.data as { action: string; outcome: string; actor: { type: string; id: string | null; credentialKind: string | null }; target: { type: string; id: string } | null; detail: Record<string, unknown> }[];
}

describe('OAuth in the audit log', () => {
  it('records a grant and its revocation once each', async () => {
    const { challenge } = pkce();
    const url = new URL('/oauth2/authorize', server.url);
    for (const [k, v] of Object.entries({ response_type: 'code', client_id: clientId, redirect_uri: REDIRECT, scope: 'projects:read', state: 's', code_challenge: challenge, code_challenge_method: 'S256' }))
      url.searchParams.set(k, v);
    const start = await fetch(url, { redirect: 'manual', headers: { cookie: alice.cookie } });
    expect(start.status).toBe(302);
    const page = await fetch(new URL(start.headers.get('location')!, server.url), { redirect: 'manual', headers: { cookie: alice.cookie } });
    expect(page.status).toBe(200);
    const answer = await postForm(server.url, '/oauth/consent', { ...formFields(await page.text()), decision: 'allow', organization_id: '' }, alice.cookie);
    expect(answer.status).toBe(303);

    const granted = await rows('oauth.granted');
    expect(granted).toHaveLength(1);
    expect(granted[0]!.target?.type).toBe('oauth_grant');
    expect(granted[0]!.detail).toMatchObject({ clientId, clientName: 'Audited App', scopes: ['projects:read'] });
    const grantId = granted[0]!.target!.id;

    expect(await rows('oauth.revoked')).toHaveLength(0);
    expectEnvelope(await api(server.url, 'DELETE', `/api/user/oauth/grants/${grantId}`, { cookie: alice.cookie }), 200, 'OK');
    await api(server.url, 'DELETE', `/api/user/oauth/grants/${grantId}`, { cookie: alice.cookie });
    const revoked = await rows('oauth.revoked');
    expect(revoked).toHaveLength(1);
    expect(revoked[0]).toMatchObject({ outcome: 'success', target: { type: 'oauth_grant', id: grantId }, detail: { clientId, reason: 'revoked by the user' } });
  });

  it('a client revoking its own refresh token is the actor of the row, not the user', async () => {
    const reg = await register(server.url, { client_name: 'Revoking App', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'client_secret_basic' });
    expect(reg.status).toBe(201);
    const client = { id: reg.body.client_id as string, secret: reg.body.client_secret as string };
    const { code, verifier } = await consentedCode(server.url, alice.cookie, { clientId: client.id, redirectUri: REDIRECT, scope: 'projects:read offline_access' });
    expect(code).toBeTruthy();
    const tokens = await tokenRequest(server.url, { grant_type: 'authorization_code', code: code!, redirect_uri: REDIRECT, code_verifier: verifier }, client);
    expect(tokens.status).toBe(200);
    expect(typeof tokens.body['refresh_token']).toBe('string');

    const before = (await rows('oauth.revoked')).length;
    const revoke = await fetch(`${server.url}/oauth2/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${encodeURIComponent(client.id)}:${encodeURIComponent(client.secret)}`).toString('base64')}` },
      body: new URLSearchParams({ token: tokens.body['refresh_token'], token_type_hint: 'refresh_token' }).toString(),
    });
    expect(revoke.status).toBe(200);
    const revoked = await rows('oauth.revoked');
    expect(revoked).toHaveLength(before + 1);
    // Newest first: the row this revocation wrote, in the user's own log, with the client as actor.
    expect(revoked[0]).toMatchObject({ outcome: 'success', actor: { type: 'oauth_client', id: client.id }, detail: { clientId: client.id, reason: 'revoked by the client' } });
    expect(revoked[0]!.actor.id).not.toBe(alice.id);
  });
});
