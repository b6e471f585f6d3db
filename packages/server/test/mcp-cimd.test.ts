/**
 * `/mcp` with a Client ID Metadata Document (CIMD): the SDK's own Client with an
 * OAuthClientProvider whose `clientMetadataUrl` is a document served on 127.0.0.1 (over https:
 * the SDK accepts only https document URLs; the server trusts the test's throwaway certificate
 * through NODE_EXTRA_CA_CERTS and may fetch loopback under ACCT_OAUTH_ALLOW_LOOPBACK_CLIENTS).
 * From nothing: 401 → metadata → no registration (the URL is the client id) → authorize (the
 * consent page answered) → token → whoami.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError, type OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { newUser, startServer, type RunningServer, type TestUser } from './harness.js';
import { expectNoServerErrors } from './support.js';
import { answerConsent } from './oauth-support.js';

const REDIRECT = 'http://127.0.0.1:33420/callback';

let server: RunningServer;
let alice: TestUser;
let docs: https.Server;
let documentUrl: string;
const fetched: string[] = [];
let dir: string;

beforeAll(async () => {
  // A throwaway certificate for 127.0.0.1, made now (never committed).
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acct-cimd-'));
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
  ], { stdio: 'ignore' });
  docs = https.createServer({ key: fs.readFileSync(path.join(dir, 'key.pem')), cert: fs.readFileSync(path.join(dir, 'cert.pem')) }, (req, res) => {
    fetched.push(req.url ?? '');
    if (req.url !== '/agent/client.json') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
      client_id: documentUrl, client_name: 'CIMD Agent', redirect_uris: [REDIRECT],
      grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none',
    }));
  });
  await new Promise<void>((resolve) => docs.listen(0, '127.0.0.1', resolve));
  documentUrl = `https://127.0.0.1:${(docs.address() as AddressInfo).port}/agent/client.json`;
  server = await startServer({ LOG_LEVEL: 'info', ACCT_OAUTH_ALLOW_LOOPBACK_CLIENTS: 'true', NODE_EXTRA_CA_CERTS: path.join(dir, 'cert.pem') });
  alice = await newUser(server.url, 'mcp-cimd');
});
afterAll(async () => {
  expectNoServerErrors(server);
  await server.stop();
  await new Promise((resolve) => docs.close(resolve));
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A client identified by its metadata document: nothing to register, nothing stored beforehand. */
class DocumentProvider implements OAuthClientProvider {
  client: OAuthClientInformationMixed | undefined;
  saved: OAuthTokens | undefined;
  verifier = '';
  opened: URL[] = [];
  get redirectUrl() { return REDIRECT; }
  get clientMetadataUrl() { return documentUrl; }
  get clientMetadata(): OAuthClientMetadata {
    return { client_name: 'CIMD Agent', redirect_uris: [REDIRECT], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none' };
  }
  clientInformation() { return this.client; }
  saveClientInformation(info: OAuthClientInformationMixed) { this.client = info; }
  tokens() { return this.saved; }
  saveTokens(tokens: OAuthTokens) { this.saved = tokens; }
  redirectToAuthorization(url: URL) { this.opened.push(url); }
  saveCodeVerifier(v: string) { this.verifier = v; }
  codeVerifier() { return this.verifier; }
}

describe('the SDK client identified by a client metadata document', () => {
  it('from nothing: discovery, the document URL as client id (no registration), consent, token for /mcp, whoami', async () => {
    const provider = new DocumentProvider();
    const url = new URL(`${server.url}/mcp`);
    let transport = new StreamableHTTPClientTransport(url, { authProvider: provider });
    const first = await new Client({ name: 'cimd-agent', version: '1' }).connect(transport).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(UnauthorizedError);
    const asked = provider.opened[0]!;
    expect(asked.origin + asked.pathname).toBe(`${server.url}/oauth2/authorize`);
    expect(asked.searchParams.get('client_id')).toBe(documentUrl);
    expect(asked.searchParams.get('resource')).toBe(`${server.url}/mcp`);

    // The consent page names the app as its document does: the server fetched it.
    const consentPage = await fetch(asked, { redirect: 'manual', headers: { cookie: alice.cookie } });
    const page = await (await fetch(new URL(consentPage.headers.get('location')!, server.url), { headers: { cookie: alice.cookie } })).text();
    expect(page).toContain('CIMD Agent');
    expect(fetched).toContain('/agent/client.json');

    const callback = new URL(await answerConsent(asked.href, alice.cookie));
    expect(callback.origin + callback.pathname).toBe(REDIRECT);
    await transport.finishAuth(callback.searchParams.get('code')!);
    expect(provider.saved?.access_token).toMatch(/^bo_/);

    transport = new StreamableHTTPClientTransport(url, { authProvider: provider });
    const client = new Client({ name: 'cimd-agent', version: '1' });
    await client.connect(transport);
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('whoami');
    const me = await client.callTool({ name: 'whoami' });
    expect(me.structuredContent).toMatchObject({ data: { email: alice.email } });
    await client.close();

    // No dynamic registration happened: the client id is the document's URL throughout.
    // (the access log has a line for every POST: the token request's is there, a registration's is not)
    expect(server.output()).toMatch(/"method":"POST","path":"\/oauth2\/token"/);
    expect(server.output()).not.toMatch(/"path":"\/oauth2\/register"/);
    const grants = await fetch(`${server.url}/api/user/oauth/grants`, { headers: { cookie: alice.cookie } });
    expect(JSON.stringify(await grants.json())).toContain(documentUrl);
  }, 60_000);
});
