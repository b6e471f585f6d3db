/**
 * Seed 002's "Create an API key for me called 'CI Pipeline'": an OAuth access token (a grant the
 * user approved on the consent page) holding `api-keys:write` mints a PAT within its own scopes
 * and pin, over MCP (the SDK's Client) and over POST /api/auth/api-key/create. PATs still cannot.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { call, newKey, newUser, startServer, type RunningServer, type TestUser } from './harness.js';
import { expectNoServerErrors } from './support.js';
import { answerConsent, pkce, register, tokenRequest } from './oauth-support.js';

let server: RunningServer;
let alice: TestUser;

beforeAll(async () => {
  server = await startServer({ LOG_LEVEL: 'info' });
  alice = await newUser(server.url, 'mcp-create-key');
});
afterAll(async () => {
  expectNoServerErrors(server);
  await server.stop();
});

const REDIRECT = 'http://127.0.0.1:33419/callback';

function authorizeUrl(clientId: string, scope: string, resource: string, challenge: string): string {
  return `${server.url}/oauth2/authorize?${new URLSearchParams({
    response_type: 'code', client_id: clientId, redirect_uri: REDIRECT, scope, state: 's', code_challenge: challenge, code_challenge_method: 'S256', resource,
  })}`;
}

/** A grant approved in the consent page, optionally pinned to one organization; its access token. */
async function oauthToken(scope: string, resource: string, organizationId = ''): Promise<string> {
  const reg = await register(server.url, { client_name: 'key minting agent', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' });
  const { verifier, challenge } = pkce();
  const code = new URL(await answerConsent(authorizeUrl(reg.body.client_id, scope, resource, challenge), alice.cookie, 'allow', organizationId)).searchParams.get('code')!;
  const tokens = await tokenRequest(server.url, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT, client_id: reg.body.client_id });
  expect(tokens.status, JSON.stringify(tokens.body)).toBe(200);
  return tokens.body['access_token'] as string;
}

async function mcpClient(token: string): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${token}` } } });
  const client = new Client({ name: 'agent', version: '1' });
  await client.connect(transport);
  return client;
}

describe('create_api_key over MCP with an OAuth access token', () => {
  it('creates the key, returns it once in the tool result only, the key works, and it is never logged', async () => {
    const client = await mcpClient(await oauthToken('user:read api-keys:read api-keys:write', `${server.url}/mcp`));
    const res = await client.callTool({ name: 'create_api_key', arguments: { name: 'CI Pipeline', scopes: ['user:read'] } });
    expect(res.isError, JSON.stringify(res)).toBeFalsy();
    const data = (res.structuredContent as { data: { id: string; key: string; name: string; scopes: string[]; organizationId: string | null } }).data;
    expect(data).toMatchObject({ name: 'CI Pipeline', scopes: ['user:read'], organizationId: null });
    expect(data.key).toMatch(/^ba_/);
    // The key works on the API, as the user.
    const me = await call(server.url, 'GET', '/api/user/me', { apiKey: data.key });
    expect(me.status).toBe(200);
    expect(me.body.data.email).toBe(alice.email);
    // Shown once: the list never carries it.
    const listed = await client.callTool({ name: 'list_api_keys', arguments: {} });
    expect(JSON.stringify(listed)).not.toContain(data.key);
    expect(JSON.stringify(listed)).toContain(data.id);
    await client.close();
    // Logged as a tool call, never with the secret.
    for (let i = 0; i < 50 && !server.output().includes('"tool":"create_api_key"'); i++) await new Promise((r) => setTimeout(r, 100));
    expect(server.output()).toContain('"tool":"create_api_key"');
    expect(server.output()).not.toContain(data.key);
  }, 30_000);

  it('refuses scopes the token does not hold: insufficient_scope naming what is missing, and no key is made', async () => {
    const client = await mcpClient(await oauthToken('user:read api-keys:read api-keys:write', `${server.url}/mcp`));
    const before = await call(server.url, 'GET', '/api/auth/api-key/list', { cookie: alice.cookie });
    const res = await client.callTool({ name: 'create_api_key', arguments: { name: 'Too wide', scopes: ['user:read', 'projects:write', 'organizations:write'] } });
    expect(res.isError).toBe(true);
    const error = (res.structuredContent as { error: { code: string; status: number; message: string } }).error;
    expect(error).toMatchObject({ code: 'INSUFFICIENT_SCOPE', status: 403 });
    expect(error.message).toContain('projects:write, organizations:write');
    expect(error.message).not.toContain('user:read');
    const after = await call(server.url, 'GET', '/api/auth/api-key/list', { cookie: alice.cookie });
    expect(after.body.data.length).toBe(before.body.data.length);
    await client.close();
  }, 30_000);

  it("a pinned grant's key is pinned to the grant's organization", async () => {
    const client = await mcpClient(await oauthToken('user:read projects:read api-keys:write', `${server.url}/mcp`, alice.organizationId));
    const res = await client.callTool({ name: 'create_api_key', arguments: { name: 'Pinned', scopes: ['projects:read'] } });
    expect(res.isError, JSON.stringify(res)).toBeFalsy();
    expect((res.structuredContent as { data: { organizationId: string } }).data.organizationId).toBe(alice.organizationId);
    await client.close();
  }, 30_000);

  it('a token without api-keys:write is refused naming it (step-up), and a PAT is still refused even with every scope', async () => {
    const narrow = await oauthToken('user:read api-keys:read', `${server.url}/mcp`);
    const refused = await call(server.url, 'POST', '/mcp', {
      bearer: narrow, headers: { accept: 'application/json, text/event-stream' },
      body: { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'create_api_key', arguments: { name: 'x', scopes: ['user:read'] } } },
    });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('www-authenticate')).toMatch(/error="insufficient_scope"/);
    expect(refused.headers.get('www-authenticate')).toContain('api-keys:write');

    const pat = await newKey(server.url, alice.cookie, ['user:read', 'api-keys:read', 'api-keys:write']);
    const client = await mcpClient(pat.key);
    const res = await client.callTool({ name: 'create_api_key', arguments: { name: 'CI Pipeline', scopes: ['user:read'] } });
    expect(res.isError).toBe(true);
    expect(res.structuredContent).toMatchObject({ error: { code: 'FORBIDDEN', status: 403 } });
    await client.close();
  }, 30_000);
});

describe('POST /api/auth/api-key/create with an OAuth access token for the API', () => {
  it('mints within the token\'s scopes and refuses more, naming what is missing', async () => {
    const token = await oauthToken('user:read api-keys:write', `${server.url}/api`);
    const ok = await call(server.url, 'POST', '/api/auth/api-key/create', { bearer: token, body: { name: 'From an app', scopes: ['user:read'] } });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body.data.key).toMatch(/^ba_/);
    const wide = await call(server.url, 'POST', '/api/auth/api-key/create', { bearer: token, body: { name: 'Wider', scopes: ['user:read', 'projects:write'] } });
    expect(wide.status).toBe(403);
    expect(wide.body.code).toBe('INSUFFICIENT_SCOPE');
    expect(wide.body.message).toContain('projects:write');
    expect(wide.headers.get('x-accepted-scopes')).toBe('projects:write');
  });

  it('the consent page says in words that the app may create API keys, only when api-keys:write is asked', async () => {
    const reg = await register(server.url, { client_name: 'consent wording', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' });
    const { challenge } = pkce();
    const page = async (scope: string) => {
      const start = await fetch(authorizeUrl(reg.body.client_id, scope, `${server.url}/mcp`, challenge), { redirect: 'manual', headers: { cookie: alice.cookie } });
      return (await fetch(new URL(start.headers.get('location')!, server.url), { headers: { cookie: alice.cookie } })).text();
    };
    expect(await page('user:read api-keys:write')).toContain('This app may create API keys for you');
    expect(await page('user:read')).not.toContain('may create API keys');
  });
});
