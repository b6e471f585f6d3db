/**
 * `/mcp` (issue 16) driven by the official SDK's own Client over Streamable HTTP, with PATs in
 * `Authorization: Bearer` and `X-Api-Key`: discovery metadata (RFC 9728), CORS, the 401 and 403
 * challenges, every tool against the same guards as its HTTP route, refusals as the API refuses.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { call, newKey, newUser, startServer, type RunningServer, type TestUser } from './harness.js';
import { expectNoServerErrors, expireKey, revokeKey } from './support.js';

let server: RunningServer;
let owner: TestUser;
let stranger: TestUser;
let full: { id: string; key: string };
const ALL = ['user:read', 'organizations:read', 'projects:read', 'projects:write', 'api-keys:read', 'api-keys:write', 'members:read', 'subscription:read', 'payments:read'];

beforeAll(async () => {
  // A project costs 60 of the 100 credits a new organization starts with: the second one is refused.
  server = await startServer({ LOG_LEVEL: 'info', ACCT_CREDIT_COSTS: '{"projects.create": 60}' });
  owner = await newUser(server.url, 'mcp-owner');
  stranger = await newUser(server.url, 'mcp-stranger');
  full = await newKey(server.url, owner.cookie, ALL);
});
afterAll(async () => {
  expectNoServerErrors(server);
  await server.stop();
});

async function connect(headers: Record<string, string>): Promise<Client> {
  const client = new Client({ name: 'acct-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { requestInit: { headers } }));
  return client;
}
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/** A raw JSON-RPC POST to /mcp, as a client without the SDK sends it. */
function rpc(body: unknown, headers: Record<string, string> = {}) {
  return call(server.url, 'POST', '/mcp', { body, headers: { accept: 'application/json, text/event-stream', ...headers } });
}
const toolCall = (name: string, args: Record<string, unknown> = {}, id = 1) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });

describe('protected-resource metadata (RFC 9728)', () => {
  it('is served at /.well-known/oauth-protected-resource/mcp and at the root, naming ACCT_BASE_URL/mcp byte for byte', async () => {
    for (const path of ['/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource']) {
      const res = await call(server.url, 'GET', path);
      expect(res.status).toBe(200);
      expect(res.body.resource).toBe(`${server.url}/mcp`);
      expect(res.body.authorization_servers).toEqual([server.url]);
      expect(res.body.bearer_methods_supported).toEqual(['header']);
      expect(res.body.scopes_supported).toEqual(expect.arrayContaining(['user:read', 'projects:write', 'api-keys:write']));
    }
  });

  it('answers CORS preflights and cross-origin reads for /mcp, the metadata and the AS discovery paths', async () => {
    for (const path of ['/mcp', '/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource', '/.well-known/oauth-authorization-server', '/oauth2/token']) {
      const pre = await fetch(server.url + path, {
        method: 'OPTIONS', headers: { origin: 'http://localhost:6274', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type, mcp-protocol-version' },
      });
      expect(pre.status, path).toBe(204);
      expect(pre.headers.get('access-control-allow-origin')).toBe('*');
      expect(pre.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
      expect(pre.headers.get('access-control-allow-headers')).toMatch(/Mcp-Protocol-Version/);
    }
    const read = await fetch(`${server.url}/.well-known/oauth-protected-resource/mcp`, { headers: { origin: 'http://localhost:6274' } });
    expect(read.headers.get('access-control-allow-origin')).toBe('*');
    const unauth = await fetch(`${server.url}/mcp`, { method: 'POST', headers: { origin: 'http://localhost:6274', 'content-type': 'application/json' }, body: '{}' });
    expect(unauth.status).toBe(401);
    expect(unauth.headers.get('access-control-expose-headers')).toMatch(/WWW-Authenticate/);
    // Elsewhere the API still serves no cross-origin requests.
    const api = await fetch(`${server.url}/api/user/me`, { method: 'OPTIONS', headers: { origin: 'http://localhost:6274', 'access-control-request-method': 'GET' } });
    expect(api.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('401 challenges', () => {
  it('without a credential: 401 with resource_metadata (absolute) and the scopes to ask for, as a JSON-RPC error', async () => {
    const res = await rpc(toolCall('whoami'));
    expect(res.status).toBe(401);
    const challenge = res.headers.get('www-authenticate')!;
    expect(challenge).toContain(`Bearer resource_metadata="${server.url}/.well-known/oauth-protected-resource/mcp"`);
    expect(challenge).toMatch(/scope="[^"]*user:read[^"]*"/);
    expect(res.body).toMatchObject({ jsonrpc: '2.0', id: 1, error: { code: expect.any(Number), data: { code: 'UNAUTHORIZED' } } });
  });

  it('a session cookie is not read at /mcp, and a session bearer token is not accepted', async () => {
    const cookie = await rpc(toolCall('whoami'), { cookie: owner.cookie });
    expect(cookie.status).toBe(401);
    const login = await call(server.url, 'POST', '/api/auth/login', { body: { email: owner.email, password: owner.password } });
    const token = login.body?.data?.token as string | undefined;
    expect(token, login.text).toBeTruthy();
    const session = await rpc(toolCall('whoami'), bearer(token!));
    expect(session.status).toBe(401);
    expect(session.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
  });

  it('revoked, expired, tampered and malformed PATs: 401 invalid_token with the metadata URL', async () => {
    const revoked = await newKey(server.url, owner.cookie, ['user:read']);
    await revokeKey(server, owner.cookie, revoked.id);
    const expired = await newKey(server.url, owner.cookie, ['user:read']);
    await expireKey(server, expired.id);
    for (const key of [revoked.key, expired.key, `${full.key.slice(0, -1)}${full.key.endsWith('x') ? 'y' : 'x'}`, 'not-a-token']) {
      for (const headers of [bearer(key), { 'x-api-key': key }]) {
        const res = await rpc(toolCall('whoami'), headers);
        expect(res.status).toBe(401);
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token", scope="[^"]+", resource_metadata="http:\/\/[^"]+\/\.well-known\/oauth-protected-resource\/mcp"/);
      }
    }
  });
});

describe('the SDK client with a PAT', () => {
  it(`initializes on the newest revision (${LATEST_PROTOCOL_VERSION}) and lists every tool with a JSON Schema input`, async () => {
    const client = await connect(bearer(full.key));
    expect(client.getServerVersion()?.name).toBe('acct');
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([
      'create_api_key', 'create_project', 'get_credits', 'list_api_keys', 'list_credit_ledger', 'list_invitations', 'list_members', 'list_organizations', 'list_projects', 'revoke_api_key', 'whoami',
    ]);
    const create = tools.find((t) => t.name === 'create_project')!;
    expect(create.inputSchema).toMatchObject({ type: 'object', required: ['organizationId', 'name'], additionalProperties: false });
    expect(create.inputSchema.properties).toHaveProperty('description');
    expect(tools.find((t) => t.name === 'list_projects')!.inputSchema.properties).toHaveProperty('sort');
    expect(tools.find((t) => t.name === 'whoami')!.annotations?.readOnlyHint).toBe(true);
    await client.close();
  });

  it('negotiates 2025-11-25 and older revisions the SDK serves', async () => {
    for (const version of ['2025-11-25', '2025-06-18', '2025-03-26']) {
      const res = await rpc({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: version, capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }, bearer(full.key));
      expect(res.status).toBe(200);
      expect(res.body.result.protocolVersion).toBe(version);
    }
  });

  it('whoami, list_organizations, list_projects, create_project, members, invitations and credits answer structured results', async () => {
    for (const headers of [bearer(full.key), { 'x-api-key': full.key }]) {
      const client = await connect(headers);
      const me = await client.callTool({ name: 'whoami' });
      expect(me.isError).toBeFalsy();
      expect(me.structuredContent).toMatchObject({ data: { email: owner.email } });
      const orgs = await client.callTool({ name: 'list_organizations' });
      expect((orgs.structuredContent as any).data.map((o: any) => o.id)).toContain(owner.organizationId);
      const members = await client.callTool({ name: 'list_members', arguments: { organizationId: owner.organizationId } });
      expect((members.structuredContent as any).data[0]).toMatchObject({ role: 'owner' });
      const invitations = await client.callTool({ name: 'list_invitations', arguments: { organizationId: owner.organizationId, limit: 5 } });
      expect(invitations.structuredContent).toMatchObject({ data: [], pagination: { limit: 5 } });
      const credits = await client.callTool({ name: 'get_credits', arguments: { organizationId: owner.organizationId } });
      expect((credits.structuredContent as any).data.creditBalance).toEqual(expect.any(Number));
      const ledger = await client.callTool({ name: 'list_credit_ledger', arguments: { organizationId: owner.organizationId } });
      expect(ledger.isError).toBeFalsy();
      await client.close();
    }
  });

  it('create_project spends credits; without enough it answers a tool error that says 402 and how many are needed', async () => {
    const user = await newUser(server.url, 'mcp-credits');
    const key = await newKey(server.url, user.cookie, ['projects:read', 'projects:write']);
    const client = await connect(bearer(key.key));
    const made = await client.callTool({ name: 'create_project', arguments: { organizationId: user.organizationId, name: 'Agent project', description: 'made over MCP' } });
    expect(made.isError).toBeFalsy();
    expect(made.structuredContent).toMatchObject({ data: { name: 'Agent project', organizationId: user.organizationId } });
    const listed = await client.callTool({ name: 'list_projects', arguments: { organizationId: user.organizationId, name: 'Agent' } });
    expect((listed.structuredContent as any).data.map((p: any) => p.name)).toEqual(['Agent project']);
    const refused = await client.callTool({ name: 'create_project', arguments: { organizationId: user.organizationId, name: 'Too many' } });
    expect(refused.isError).toBe(true);
    expect((refused.content as any)[0].text).toMatch(/INSUFFICIENT_CREDITS \(402\).*costs 60 credits.*has 40/);
    expect(refused.structuredContent).toMatchObject({ error: { code: 'INSUFFICIENT_CREDITS', status: 402 } });
    // The same balance the HTTP route reads: one project paid for, nothing for the refused one.
    const http = await call(server.url, 'GET', `/api/user/organizations/${user.organizationId}/subscription`, { cookie: user.cookie });
    expect(http.body.data.creditBalance).toBe(40);
    await client.close();
  });

  it('list_api_keys and revoke_api_key act on the caller\'s own keys; the revoked key stops at once', async () => {
    const victim = await newKey(server.url, owner.cookie, ['user:read']);
    // Used once first, so the server's credential cache holds it: revoking through MCP must still end it at once.
    expect((await rpc(toolCall('whoami'), bearer(victim.key))).status).toBe(200);
    const client = await connect(bearer(full.key));
    const listed = await client.callTool({ name: 'list_api_keys', arguments: { status: 'active', limit: 100 } });
    const ids = (listed.structuredContent as any).data.map((k: any) => k.id);
    expect(ids).toContain(victim.id);
    expect(JSON.stringify(listed)).not.toContain(victim.key);
    const revoked = await client.callTool({ name: 'revoke_api_key', arguments: { id: victim.id } });
    expect(revoked.structuredContent).toMatchObject({ data: { id: victim.id, status: 'revoked' } });
    expect((await rpc(toolCall('whoami'), bearer(victim.key))).status).toBe(401);
    // Another user's key id is not found, as over HTTP.
    const foreign = await newKey(server.url, stranger.cookie, ['user:read']);
    const other = await client.callTool({ name: 'revoke_api_key', arguments: { id: foreign.id } });
    expect(other).toMatchObject({ isError: true, structuredContent: { error: { code: 'NOT_FOUND' } } });
    expect((await call(server.url, 'GET', '/api/user/me', { apiKey: foreign.key })).status).toBe(200);
    await client.close();
  });

  it('create_api_key is refused to a PAT as POST /api/auth/api-key/create refuses it (PATs cannot mint PATs)', async () => {
    const client = await connect(bearer(full.key));
    const res = await client.callTool({ name: 'create_api_key', arguments: { name: 'CI Pipeline', scopes: ['projects:read'] } });
    expect(res).toMatchObject({ isError: true, structuredContent: { error: { code: 'FORBIDDEN', status: 403 } } });
    const http = await call(server.url, 'POST', '/api/auth/api-key/create', { apiKey: full.key, body: { name: 'CI Pipeline', scopes: ['projects:read'] } });
    expect(http.status).toBe(403);
    await client.close();
  });
});

describe('scopes and tenancy, as the HTTP API', () => {
  it('a tool whose scope the token lacks: 403 insufficient_scope naming the scope (the SDK client surfaces the 403)', async () => {
    const narrow = await newKey(server.url, owner.cookie, ['user:read']);
    const raw = await rpc(toolCall('list_projects', { organizationId: owner.organizationId }, 7), bearer(narrow.key));
    expect(raw.status).toBe(403);
    const challenge = raw.headers.get('www-authenticate')!;
    expect(challenge).toMatch(/error="insufficient_scope"/);
    expect(challenge).toMatch(/scope="user:read projects:read"/);
    expect(challenge).toContain(`resource_metadata="${server.url}/.well-known/oauth-protected-resource/mcp"`);
    expect(raw.body).toMatchObject({ jsonrpc: '2.0', id: 7, error: { data: { code: 'INSUFFICIENT_SCOPE', scope: 'projects:read' } } });
    expect(raw.body.error.message).toContain('projects:read');

    const client = await connect(bearer(narrow.key));
    expect((await client.callTool({ name: 'whoami' })).isError).toBeFalsy();
    const err = await client.callTool({ name: 'list_projects', arguments: { organizationId: owner.organizationId } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StreamableHTTPError);
    expect((err as StreamableHTTPError).code).toBe(403);
    await client.close();
  });

  it('another user\'s organization and a pinned PAT on another organization: refused as the HTTP API refuses them', async () => {
    const client = await connect(bearer(full.key));
    const foreign = await client.callTool({ name: 'list_projects', arguments: { organizationId: stranger.organizationId } });
    expect(foreign).toMatchObject({ isError: true, structuredContent: { error: { code: 'ORGANIZATION_MISMATCH' } } });
    const http = await call(server.url, 'GET', `/api/user/organizations/${stranger.organizationId}/projects`, { apiKey: full.key });
    expect(http.body.code).toBe('ORGANIZATION_MISMATCH');
    await client.close();

    const second = await call(server.url, 'POST', '/api/user/organizations', { cookie: owner.cookie, body: { name: 'Second org' } });
    const pinned = await newKey(server.url, owner.cookie, ['projects:read', 'projects:write', 'organizations:read'], { metadata: { organizationId: owner.organizationId } });
    const pinnedClient = await connect(bearer(pinned.key));
    const elsewhere = await pinnedClient.callTool({ name: 'create_project', arguments: { organizationId: second.body.data.id, name: 'Nope' } });
    expect(elsewhere).toMatchObject({ isError: true, structuredContent: { error: { code: 'ORGANIZATION_MISMATCH' } } });
    const orgs = await pinnedClient.callTool({ name: 'list_organizations' });
    expect((orgs.structuredContent as any).data.map((o: any) => o.id)).toEqual([owner.organizationId]);
    await pinnedClient.close();
  });

  it('a member\'s role limits a tool as it limits the route', async () => {
    const memberKey = await newKey(server.url, stranger.cookie, ['members:read', 'organizations:read']);
    const client = await connect(bearer(memberKey.key));
    const res = await client.callTool({ name: 'list_members', arguments: { organizationId: owner.organizationId } });
    expect(res).toMatchObject({ isError: true, structuredContent: { error: { code: 'ORGANIZATION_MISMATCH' } } });
    await client.close();
  });
});

describe('every tool, from its contract (the matrix for /mcp)', () => {
  /** Arguments that pass validation and name nothing of the caller's, so no call changes state. */
  const args = (name: string, organizationId: string): Record<string, unknown> => ({
    ...(['list_projects', 'create_project', 'list_members', 'list_invitations', 'get_credits', 'list_credit_ledger'].includes(name) ? { organizationId } : {}),
    ...(name === 'create_project' ? { name: 'matrix' } : {}),
    ...(name === 'create_api_key' ? { name: 'matrix', scopes: ['user:read'] } : {}),
    ...(name === 'revoke_api_key' ? { id: 'ak_01J00000000000000000000000' } : {}),
  });

  it('a token holding every scope but the tool\'s own (and its alternatives) gets 403 insufficient_scope naming exactly that scope', async () => {
    const { tools } = await (await connect(bearer(full.key))).listTools();
    for (const tool of tools) {
      const scopes = /Needs the scope (.+)\.$/.exec(tool.description ?? '')![1]!.split(' or ');
      const scope = scopes[0]!;
      const others = ALL.filter((s) => !scopes.includes(s));
      const key = await newKey(server.url, owner.cookie, others);
      const res = await rpc(toolCall(tool.name, args(tool.name, owner.organizationId)), bearer(key.key));
      expect(res.status, tool.name).toBe(403);
      expect(res.body.error.data, tool.name).toMatchObject({ code: 'INSUFFICIENT_SCOPE', scope });
      expect(res.headers.get('www-authenticate'), tool.name).toContain(`error="insufficient_scope"`);
    }
  });

  it('organization tools refuse another user\'s organization, and a key pinned elsewhere, as their routes do', async () => {
    const pinned = await newKey(server.url, owner.cookie, ALL.filter((s) => !s.startsWith('api-keys')), { metadata: { organizationId: owner.organizationId } });
    const second = await call(server.url, 'POST', '/api/user/organizations', { cookie: owner.cookie, body: { name: 'Matrix second' } });
    const client = await connect(bearer(full.key));
    const pinnedClient = await connect(bearer(pinned.key));
    for (const name of ['list_projects', 'create_project', 'list_members', 'list_invitations', 'get_credits', 'list_credit_ledger']) {
      const foreign = await client.callTool({ name, arguments: args(name, stranger.organizationId) });
      expect(foreign, name).toMatchObject({ isError: true, structuredContent: { error: { code: 'ORGANIZATION_MISMATCH', status: 403 } } });
      const elsewhere = await pinnedClient.callTool({ name, arguments: args(name, second.body.data.id) });
      expect(elsewhere, name).toMatchObject({ isError: true, structuredContent: { error: { code: 'ORGANIZATION_MISMATCH' } } });
    }
    await client.close();
    await pinnedClient.close();
  });
});

describe('DNS rebinding', () => {
  it('a local server refuses /mcp requests from a non-loopback Origin with 403 before reading the token', async () => {
    const res = await fetch(`${server.url}/mcp`, { method: 'POST', headers: { origin: 'http://attacker.example', 'content-type': 'application/json', authorization: `Bearer ${full.key}` }, body: JSON.stringify(toolCall('whoami')) });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ jsonrpc: '2.0', error: { message: expect.stringContaining('DNS rebinding') } });
  });
});

describe('bad input', () => {
  it('wrong types, missing and unknown fields are tool errors naming the field', async () => {
    const client = await connect(bearer(full.key));
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['list_projects', {}, /organizationId is required/],
      ['list_projects', { organizationId: 42 }, /organizationId is required/],
      ['create_project', { organizationId: owner.organizationId }, /name/],
      ['create_project', { organizationId: owner.organizationId, name: 12 }, /name/],
      ['list_api_keys', { limit: 'many' }, /limit/],
      ['list_api_keys', { limit: 1000 }, /limit/],
      ['revoke_api_key', { id: 'x', extra: true }, /extra is not a known field/],
    ];
    for (const [name, args, message] of cases) {
      const res = await client.callTool({ name, arguments: args });
      expect(res.isError, `${name} ${JSON.stringify(args)}`).toBe(true);
      expect((res.structuredContent as any).error.code).toBe('VALIDATION_ERROR');
      expect((res.content as any)[0].text).toMatch(message);
    }
    await client.close();
  });

  it('an unknown tool, a body that is not JSON, an oversized body and GET/DELETE are protocol errors, never 500', async () => {
    const unknown = await rpc(toolCall('drop_database'), bearer(full.key));
    expect(unknown.status).toBe(200);
    expect(unknown.body.error).toMatchObject({ code: -32602, message: expect.stringContaining('drop_database') });
    const broken = await call(server.url, 'POST', '/mcp', { raw: '{"jsonrpc":', headers: { ...bearer(full.key), 'content-type': 'application/json', accept: 'application/json, text/event-stream' } });
    expect(broken.status).toBe(400);
    expect(broken.body).toMatchObject({ jsonrpc: '2.0', error: { code: -32700 } });
    const big = await call(server.url, 'POST', '/mcp', { raw: JSON.stringify({ ...toolCall('whoami'), pad: 'x'.repeat(2_000_000) }), headers: { ...bearer(full.key), 'content-type': 'application/json' } });
    expect(big.status).toBe(413);
    expect(big.body).toMatchObject({ jsonrpc: '2.0', error: expect.any(Object) });
    for (const method of ['GET', 'DELETE']) {
      const res = await call(server.url, method, '/mcp', { headers: bearer(full.key) });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toMatch(/POST/);
    }
  });
});

describe('logs', () => {
  it('every tool call is logged with the tool, the outcome, the actor and the client id; never a key', async () => {
    const client = await connect(bearer(full.key));
    await client.callTool({ name: 'whoami' });
    await client.callTool({ name: 'list_projects', arguments: { organizationId: stranger.organizationId } });
    await client.close();
    const seen = () => server.output().includes('"tool":"list_projects"') && server.output().includes('"outcome":"ORGANIZATION_MISMATCH"');
    for (let i = 0; i < 50 && !seen(); i++) await new Promise((r) => setTimeout(r, 100));
    const lines = server.output().split('\n').filter((l) => l.includes('"msg":"mcp tool call"')).map((l) => JSON.parse(l));
    expect(lines.find((l) => l.tool === 'whoami' && l.outcome === 'OK')).toMatchObject({ clientId: null, actor: { kind: 'pat', id: full.id, userId: owner.id } });
    expect(lines.find((l) => l.tool === 'list_projects' && l.outcome === 'ORGANIZATION_MISMATCH')).toBeTruthy();
    expect(server.output()).not.toContain(full.key);
  });
});
