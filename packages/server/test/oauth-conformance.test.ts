/**
 * The MCP conformance suite's authorization-server scenarios (@modelcontextprotocol/conformance,
 * pinned at 0.2.0-alpha.12, the first release with `conformance authorization`): the metadata
 * endpoint, and the authorization code grant with PKCE, the suite acting as the client and its
 * callback server as the redirect URI. The consent is given in the real page, as a browser would.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newUser, startServer, type RunningServer, type TestUser } from './harness.js';
import { answerConsent, register } from './oauth-support.js';
import { conformanceChecks, type Check } from './conformance.js';

const require = createRequire(import.meta.url);
const CONFORMANCE = path.join(path.dirname(require.resolve('@modelcontextprotocol/conformance/package.json')), 'dist/index.js');

let server: RunningServer;
let alice: TestUser;

beforeAll(async () => {
  server = await startServer();
  alice = await newUser(server.url, 'conformance');
});
afterAll(async () => {
  await server?.stop();
});

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as net.AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}


/** Runs `conformance authorization`; `browser` plays the user when the suite prints the authorization URL. */
async function runScenario(args: string[], browser?: (url: string) => Promise<void>): Promise<{ code: number | null; output: string; checks: Check[] }> {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'acct-conformance-'));
  const child = spawn(process.execPath, [CONFORMANCE, 'authorization', '--url', server.url, '-o', out, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let browsing: Promise<void> | null = null;
  const onData = (d: Buffer) => {
    output += d.toString();
    const url = new RegExp(`(${server.url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/oauth2/authorize\\?\\S+)`).exec(output)?.[1];
    if (url && browser && !browsing) browsing = browser(url);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (browsing) await browsing;
  return { code, output, checks: conformanceChecks(out) };
}

describe('MCP conformance: authorization server', () => {
  it('passes authorization-server-metadata-endpoint and authorization-code-grant with no failure or warning', async () => {
    const port = await freePort();
    const reg = await register(server.url, { client_name: 'MCP conformance', redirect_uris: ['http://127.0.0.1/callback'], token_endpoint_auth_method: 'none' });
    expect(reg.status).toBe(201);
    const ran = await runScenario(['--client-id', reg.body.client_id, '--port', String(port), '--resource', `${server.url}/mcp`], async (url) => {
      const callback = await answerConsent(url, alice.cookie);
      expect(new URL(callback).port).toBe(String(port));
      await fetch(callback);
    });
    expect(ran.checks.map((c) => c.id), ran.output).toEqual(expect.arrayContaining(['authorization-server-metadata', 'authorization-server-metadata-cimd', 'authorization-code-grant']));
    const bad = ran.checks.filter((c) => c.status !== 'SUCCESS' && c.status !== 'INFO');
    expect(bad, ran.output).toEqual([]);
    expect(ran.code, ran.output).toBe(0);
  }, 120_000);
});
