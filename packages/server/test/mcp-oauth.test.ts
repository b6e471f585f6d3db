/**
 * `/mcp` with OAuth, driven by the SDK's own Client and an OAuthClientProvider from nothing:
 * 401 → protected-resource metadata → authorization-server metadata → dynamic registration →
 * authorize (the consent page answered as a browser would) → token → tools/list → whoami; then
 * step-up from the narrow first grant on a 403 insufficient_scope; and audience binding both ways.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError, type OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { call, newUser, startServer, type RunningServer, type TestUser } from './harness.js';
import { expectNoServerErrors } from './support.js';
import { answerConsent, pkce, register, tokenRequest } from './oauth-support.js';
import { sqlOn } from './tenancy-support.js';

let server: RunningServer;
let alice: TestUser;

beforeAll(async () => {
  server = await startServer({ LOG_LEVEL: 'info' });
  alice = await newUser(server.url, 'mcp-oauth');
});
afterAll(async () => {
  expectNoServerErrors(server);
  await server.stop();
});

const REDIRECT = 'http://127.0.0.1:33418/callback';

/** A native app's provider, in memory; `redirectToAuthorization` only notes the URL a browser would open. */
class MemoryProvider implements OAuthClientProvider {
  client: OAuthClientInformationMixed | undefined;
  saved: OAuthTokens | undefined;
  verifier = '';
  opened: URL[] = [];
  /** A 403 insufficient_scope asked for a scope the held token lacks: until new tokens are saved, the refresh token is not offered. */
  steppingUp = false;
  get redirectUrl() { return REDIRECT; }
  get clientMetadata(): OAuthClientMetadata {
    return { client_name: 'SDK test agent', redirect_uris: [REDIRECT], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none' };
  }
  clientInformation() { return this.client; }
  saveClientInformation(info: OAuthClientInformationMixed) { this.client = info; }
  tokens() { return this.steppingUp && this.saved ? { ...this.saved, refresh_token: undefined } : this.saved; }
  saveTokens(tokens: OAuthTokens) {
    this.saved = tokens;
    this.steppingUp = false;
  }
  redirectToAuthorization(url: URL) { this.opened.push(url); }
  saveCodeVerifier(v: string) { this.verifier = v; }
  codeVerifier() { return this.verifier; }
}

/**
 * The transport's fetch, for step-up with SDK 1.32.2 (docs/mcp.md "Step-up"): on a 403
 * `insufficient_scope` whose `scope` names one the held token lacks, the provider stops offering
 * its refresh token, so the SDK's step-up (which runs `auth()` with the challenge's scope)
 * authorizes anew instead of refreshing: a refresh cannot widen a grant (RFC 6749 §6), and 1.32.2
 * would refresh, get the same scopes, and give up (modelcontextprotocol/typescript-sdk#2255; the
 * 2.x client bypasses the refresh itself, SEP-2350).
 */
function stepUpFetch(provider: MemoryProvider): FetchLike {
  return async (url, init) => {
    const res = await fetch(url, init);
    if (res.status === 403) {
      const challenge = res.headers.get('www-authenticate') ?? '';
      const asked = /\bscope="([^"]*)"/.exec(challenge)?.[1]?.split(' ').filter(Boolean) ?? [];
      const held = new Set(provider.saved?.scope?.split(' ') ?? []);
      if (/\berror="insufficient_scope"/.test(challenge) && asked.some((scope) => !held.has(scope))) provider.steppingUp = true;
    }
    return res;
  };
}

/** Plays the user's browser on the last authorization URL: Allow, and the code from the callback. */
async function consent(provider: MemoryProvider): Promise<string> {
  const url = provider.opened.at(-1)!;
  const callback = new URL(await answerConsent(url.href, alice.cookie));
  expect(callback.origin + callback.pathname).toBe(REDIRECT);
  return callback.searchParams.get('code')!;
}

describe('the SDK client with an OAuthClientProvider, from nothing', () => {
  it('discovers, registers, is authorized, gets a token for /mcp, lists tools and calls whoami; then steps up once for a write on the 403', async () => {
    const provider = new MemoryProvider();
    const url = new URL(`${server.url}/mcp`);
    let transport = new StreamableHTTPClientTransport(url, { authProvider: provider, fetch: stepUpFetch(provider) });
    const first = await new Client({ name: 'agent', version: '1' }).connect(transport).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(UnauthorizedError);
    expect(provider.client?.client_id).toBeTruthy();
    const asked = provider.opened[0]!;
    expect(asked.origin + asked.pathname).toBe(`${server.url}/oauth2/authorize`);
    expect(asked.searchParams.get('resource')).toBe(`${server.url}/mcp`);
    expect(asked.searchParams.get('code_challenge_method')).toBe('S256');
    // The first grant asks for reading only: the 401's scope.
    expect(asked.searchParams.get('scope')!.split(' ')).not.toContain('projects:write');
    expect(asked.searchParams.get('scope')!.split(' ')).toContain('user:read');

    await transport.finishAuth(await consent(provider));
    expect(provider.saved?.access_token).toMatch(/^bo_/);
    expect(provider.saved?.refresh_token).toBeTruthy();
    const narrow = provider.saved!.scope!.split(' ');
    transport = new StreamableHTTPClientTransport(url, { authProvider: provider, fetch: stepUpFetch(provider) });
    const client = new Client({ name: 'agent', version: '1' });
    await client.connect(transport);
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('whoami');
    const me = await client.callTool({ name: 'whoami' });
    expect(me.structuredContent).toMatchObject({ data: { email: alice.email } });

    // A write needs projects:write: /mcp answers 403 insufficient_scope asking for the held scopes
    // plus that one; the SDK takes the challenge's scope and sends the user to authorize it, once.
    const tokenCalls = () => server.output().split('\n').filter((l) => l.includes('"path":"/oauth2/token"')).length;
    const before = tokenCalls();
    const create = { name: 'create_project', arguments: { organizationId: alice.organizationId, name: 'Stepped up' } };
    const stepUp = await client.callTool(create).catch((e: unknown) => e);
    expect(stepUp).toBeInstanceOf(UnauthorizedError);
    expect(provider.opened).toHaveLength(2);
    const wider = provider.opened[1]!.searchParams.get('scope')!.split(' ');
    expect(wider.sort()).toEqual([...narrow, 'projects:write'].sort());
    expect(provider.opened[1]!.searchParams.get('resource')).toBe(`${server.url}/mcp`);
    // No refresh was tried (it could not have widened the grant).
    expect(tokenCalls()).toBe(before);
    await transport.finishAuth(await consent(provider));
    expect(provider.saved!.scope!.split(' ')).toEqual(expect.arrayContaining([...narrow, 'projects:write']));
    const retried = await client.callTool(create);
    expect(retried.isError, JSON.stringify(retried)).toBeFalsy();
    expect(retried.structuredContent).toMatchObject({ data: { name: 'Stepped up' } });
    // The same call again goes straight through: no challenge, no authorization, no token request.
    const afterStepUp = tokenCalls();
    const again = await client.callTool(create);
    expect(again.isError, JSON.stringify(again)).toBeFalsy();
    expect(provider.opened).toHaveLength(2);
    expect(tokenCalls()).toBe(afterStepUp);
    // Reading still works with the wider token: the step-up lost nothing.
    expect((await client.callTool({ name: 'whoami' })).isError).toBeFalsy();
    await client.close();

    // The tool calls are logged with the OAuth client's id.
    const logged = () => server.output().split('\n').filter((l) => l.includes('"msg":"mcp tool call"')).map((l) => JSON.parse(l));
    // The server's log is a pipe read as it comes: wait for the line rather than assume it arrived.
    for (let i = 0; i < 50 && !logged().some((l) => l.tool === 'create_project' && l.outcome === 'OK'); i++) await new Promise((r) => setTimeout(r, 100));
    const lines = logged();
    expect(lines.find((l) => l.tool === 'create_project' && l.outcome === 'OK')).toMatchObject({ clientId: provider.client!.client_id, actor: { kind: 'oauth' } });
    expect(server.output()).not.toContain(provider.saved!.access_token);
    // And audited, refused or not, with the OAuth client's id: the refused write, then the two that went through.
    const rows = await sqlOn(server, "SELECT outcome, target_id, organization_id, credential_kind, detail FROM audit_log WHERE action = 'mcp.tool_called' AND target_id = 'create_project' ORDER BY id");
    expect(rows.map((r) => [r['outcome'], r['organization_id'], r['credential_kind'], JSON.parse(String(r['detail'])).clientId, JSON.parse(String(r['detail'])).error ?? null])).toEqual([
      ['failure', null, 'oauth', provider.client!.client_id, 'INSUFFICIENT_SCOPE'],
      ['success', alice.organizationId, 'oauth', provider.client!.client_id, null],
      ['success', alice.organizationId, 'oauth', provider.client!.client_id, null],
    ]);
  }, 60_000);
});

describe('audience binding (RFC 8707)', () => {
  async function tokenFor(resource: string): Promise<string> {
    const reg = await register(server.url, { client_name: 'audience test', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' });
    const { verifier, challenge } = pkce();
    const authorize = `${server.url}/oauth2/authorize?${new URLSearchParams({
      response_type: 'code', client_id: reg.body.client_id, redirect_uri: REDIRECT, scope: 'user:read', state: 's', code_challenge: challenge, code_challenge_method: 'S256', resource,
    })}`;
    const code = new URL(await answerConsent(authorize, alice.cookie)).searchParams.get('code')!;
    const tokens = await tokenRequest(server.url, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT, client_id: reg.body.client_id });
    expect(tokens.status, JSON.stringify(tokens.body)).toBe(200);
    return tokens.body['access_token'] as string;
  }
  const whoami = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'whoami', arguments: {} } };
  const mcp = (token: string) => call(server.url, 'POST', '/mcp', { body: whoami, bearer: token, headers: { accept: 'application/json, text/event-stream' } });

  it('a token issued for the API is refused at /mcp, and a token for /mcp is refused by the API', async () => {
    const api = await tokenFor(`${server.url}/api`);
    const refused = await mcp(api);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token", scope="[^"]+", resource_metadata=".*\/mcp"/);
    expect((await call(server.url, 'GET', '/api/user/me', { bearer: api })).status).toBe(200);

    const forMcp = await tokenFor(`${server.url}/mcp`);
    expect((await mcp(forMcp)).status).toBe(200);
    expect((await call(server.url, 'GET', '/api/user/me', { bearer: forMcp })).status).toBe(401);
  });

  it('a revoked grant stops at /mcp on the next request', async () => {
    const token = await tokenFor(`${server.url}/mcp`);
    expect((await mcp(token)).status).toBe(200);
    const grants = await call(server.url, 'GET', '/api/user/oauth/grants', { cookie: alice.cookie });
    for (const g of grants.body.data) await call(server.url, 'DELETE', `/api/user/oauth/grants/${g.id}`, { cookie: alice.cookie });
    const after = await mcp(token);
    expect(after.status).toBe(401);
    expect(after.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
  });
});
