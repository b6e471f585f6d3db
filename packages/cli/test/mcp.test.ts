/**
 * `acct mcp` driven by the MCP SDK's own stdio client (StdioClientTransport spawns the built CLI):
 * the CLI forwards to the real server's /mcp with its stored credential, so a desktop client
 * that launches a command gets acct's tools with no token in its config.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { newKey, newUser, startServer, type RunningServer, type TestUser } from '../../server/test/harness.js';
import { expectNoServerErrors } from '../../server/test/support.js';
import { acct, BIN, tempHome } from './helpers.js';

let server: RunningServer;
let user: TestUser;

beforeAll(async () => {
  server = await startServer();
  user = await newUser(server.url, 'acct-mcp');
});
afterAll(async () => {
  expectNoServerErrors(server);
  await server.stop();
});

async function stdioClient(env: Record<string, string>): Promise<{ client: Client; stderr: () => string }> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [BIN, 'mcp'], env, stderr: 'pipe' });
  let err = '';
  transport.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const client = new Client({ name: 'acct-mcp-test', version: '1.0.0' });
  await client.connect(transport);
  return { client, stderr: () => err };
}

describe('acct mcp', () => {
  it('with a PAT saved by `acct login --with-token`: tools/list and whoami over stdio, no token in the client config', async () => {
    const key = await newKey(server.url, user.cookie, ['user:read', 'organizations:read', 'projects:read']);
    const home = tempHome({ ACCT_HOST: server.url });
    const login = await acct(['login', '--with-token', '--insecure-storage'], home.env, `${key.key}\n`);
    expect(login.code, login.stderr).toBe(0);

    const { client, stderr } = await stdioClient({ ...home.env, ACCT_MCP_VERBOSE: '1' });
    expect(client.getServerVersion()?.name).toBe('acct');
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toContain('create_api_key');
    const me = await client.callTool({ name: 'whoami' });
    expect(me.structuredContent).toMatchObject({ data: { email: user.email } });
    const orgs = await client.callTool({ name: 'list_organizations' });
    expect((orgs.structuredContent as any).data.map((o: any) => o.id)).toEqual([user.organizationId]);
    await client.close();
    expect(stderr()).toMatch(/forwarding stdio to http:\/\/127\.0\.0\.1:\d+\/mcp with the saved token \(plain file/);
    expect(stderr()).not.toContain(key.key);
  });

  it('with ACCT_TOKEN; a tool lacking a scope answers an error naming it, and the session goes on', async () => {
    const key = await newKey(server.url, user.cookie, ['user:read']);
    const { client } = await stdioClient({ ...tempHome({ ACCT_HOST: server.url }).env, ACCT_TOKEN: key.key });
    expect((await client.callTool({ name: 'whoami' })).isError).toBeFalsy();
    const denied = await client.callTool({ name: 'list_projects', arguments: { organizationId: user.organizationId } }).catch((e: Error) => e);
    expect(denied).toBeInstanceOf(Error);
    expect((denied as Error).message).toMatch(/lacks a scope.*403/);
    expect((await client.callTool({ name: 'whoami' })).isError).toBeFalsy();
    await client.close();
  });

  it('a revoked token: the request is answered with an error saying to log in again, never left hanging', async () => {
    const key = await newKey(server.url, user.cookie, ['user:read']);
    const home = tempHome({ ACCT_HOST: server.url, ACCT_TOKEN: key.key });
    const { client } = await stdioClient(home.env);
    const revoke = await fetch(`${server.url}/api/auth/api-key/delete`, { method: 'POST', headers: { cookie: user.cookie, 'content-type': 'application/json' }, body: JSON.stringify({ id: key.id }) });
    expect(revoke.status).toBe(200);
    const refused = await client.callTool({ name: 'whoami' }).catch((e: Error) => e);
    expect((refused as Error).message).toMatch(/refused the credential.*acct login/);
    await client.close();
  });

  it('with an OAuth token from `acct login --web` (issued for the API, not /mcp) it exits 4 saying what to use instead', async () => {
    const oauthLike = ['bo', '_', 'x'.repeat(40)].join('');
    const r = await acct(['mcp'], { ...tempHome({ ACCT_HOST: server.url }).env, ACCT_TOKEN: oauthLike });
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/accepts only tokens issued for \/mcp.*hint: save a personal access token/s);
  });

  it('without a token (nothing saved, no ACCT_TOKEN) it exits 4 with a hint, before speaking the protocol', async () => {
    const r = await acct(['mcp'], tempHome({ ACCT_HOST: server.url }).env);
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/no token for .*hint: run `acct login --with-token`/s);
  });
});
