/**
 * The MCP conformance suite's server scenarios (@modelcontextprotocol/conformance, pinned at
 * 0.2.0-alpha.12, the version the authorization-server scenarios use) against `/mcp`. The suite
 * sends no credential of its own, so it reaches `/mcp` through a loopback relay that adds a PAT's
 * `Authorization` header, as Claude Code or Cursor configured with a header do; nothing else is
 * changed in either direction. Scenarios that need the suite's own test tools, prompts,
 * resources, sampling, sessions or server-initiated streams (and the 2026-07-28 revision, which
 * SDK 1.32.2 does not speak) do not apply to acct and are not run.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newKey, newUser, startServer, type RunningServer } from './harness.js';
import { conformanceChecks, type Check } from './conformance.js';

const require = createRequire(import.meta.url);
const CONFORMANCE = path.join(path.dirname(require.resolve('@modelcontextprotocol/conformance/package.json')), 'dist/index.js');

/** The server scenarios that apply to a stateless tools-only server. */
const SCENARIOS = ['server-initialize', 'ping', 'tools-list', 'dns-rebinding-protection'];

let server: RunningServer;
let relay: http.Server;
let relayUrl: string;

beforeAll(async () => {
  server = await startServer();
  const user = await newUser(server.url, 'conformance');
  const key = await newKey(server.url, user.cookie, ['user:read', 'organizations:read', 'projects:read']);
  const upstream = new URL(server.url);
  relay = http.createServer((req, res) => {
    const headers = { ...req.headers, authorization: `Bearer ${key.key}` };
    const out = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    out.on('error', () => res.destroy());
    req.pipe(out);
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  relayUrl = `http://127.0.0.1:${(relay.address() as { port: number }).port}/mcp`;
});
afterAll(async () => {
  await new Promise((r) => relay?.close(r));
  await server?.stop();
});


async function runScenario(scenario: string): Promise<{ code: number | null; output: string; checks: Check[] }> {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'acct-mcp-conformance-'));
  const child = spawn(process.execPath, [CONFORMANCE, 'server', '--url', relayUrl, '--scenario', scenario, '-o', out], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, output, checks: conformanceChecks(out) };
}

describe('MCP conformance: server scenarios against /mcp', () => {
  for (const scenario of SCENARIOS) {
    it(`${scenario} passes with no failure`, async () => {
      const ran = await runScenario(scenario);
      expect(ran.checks.length, ran.output).toBeGreaterThan(0);
      const bad = ran.checks.filter((c) => c.status === 'FAILURE');
      expect(bad, ran.output).toEqual([]);
      expect(ran.code, ran.output).toBe(0);
    }, 120_000);
  }
});
