/**
 * One web sign-in, many acct processes: `acct mcp` (long-running) and `acct auth token` started at
 * the same moment with an expired access token. The refresh token rotates and a spent one ends the
 * grant, so refreshes are serialised by a lock file next to config.json, and a process that waited
 * uses the token the first one saved instead of refreshing again.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { call, newUser, startServer, type RunningServer, type TestUser } from '../../server/test/harness.js';
import { answerDevice } from '../../server/test/oauth-support.js';
import { acct, BIN, startKeyring, tempHome, type Home, type Keyring } from './helpers.js';
import { refreshLockFile } from '../src/lib/lock.js';

let server: RunningServer;
let keyring: Keyring;
let alice: TestUser;

beforeAll(async () => {
  [server, keyring] = await Promise.all([startServer({ ACCT_OAUTH_DEVICE_INTERVAL: '1', LOG_LEVEL: 'info' }), startKeyring()]);
  alice = await newUser(server.url, 'refresh-lock');
});
afterAll(async () => {
  await Promise.all([server?.stop(), keyring?.stop()]);
});

/** `acct login --web`, the code approved in the /device page as the browser would. */
async function signedIn(): Promise<Home> {
  const home = tempHome({ ACCT_HOST: server.url, ...keyring.env });
  const child = spawn(process.execPath, [BIN, 'login', '--web'], { env: home.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let answered: Promise<string> | null = null;
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    const code = /one-time code: ([A-Z]{4}-[A-Z]{4})/.exec(stderr)?.[1];
    if (code && !answered) answered = answerDevice(server.url, code, alice.cookie);
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  await answered;
  expect(code, stderr).toBe(0);
  return home;
}

/** Marks the saved access token expired in config.json: the next acct process must refresh before using it. */
function expire(home: Home): void {
  const file = path.join(home.configDir, 'config.json');
  const data = JSON.parse(fs.readFileSync(file, 'utf8'));
  const saved = data.hosts[server.url].tokens.find((t: { oauth?: unknown }) => t.oauth);
  saved.expiresAt = new Date(Date.now() - 60_000).toISOString();
  fs.writeFileSync(file, JSON.stringify(data, null, 2), { mode: 0o600 });
}

/** The token endpoint requests the server answered since `mark` (its output's length then). */
function tokenRequestsSince(mark: number): Array<{ status: number }> {
  return server.output().slice(mark).split('\n').filter((l) => l.includes('"path":"/oauth2/token"')).map((l) => JSON.parse(l));
}

function lockFiles(home: Home): string[] {
  return fs.readdirSync(home.configDir).filter((f) => f.endsWith('.lock'));
}

describe('refreshing one web sign-in from several processes at once', () => {
  it('acct mcp and four acct auth token started together: all succeed, one refresh for the API and one for /mcp, the grant lives on', async () => {
    const home = await signedIn();
    expire(home);
    const mark = server.output().length;

    const transport = new StdioClientTransport({ command: process.execPath, args: [BIN, 'mcp'], env: home.env, stderr: 'pipe' });
    let mcpErr = '';
    transport.stderr?.on('data', (d: Buffer) => (mcpErr += d.toString()));
    const client = new Client({ name: 'desktop-agent', version: '1' });
    const [tokens] = await Promise.all([
      Promise.all([1, 2, 3, 4].map(() => acct(['auth', 'token'], home.env))),
      client.connect(transport),
    ]);
    for (const t of tokens) expect(t.code, t.stderr).toBe(0);
    const printed = new Set(tokens.map((t) => t.stdout.trim()));
    // The processes that waited used the token the first one saved.
    expect(printed.size).toBe(1);
    expect([...printed][0]).toMatch(/^bo_/);
    const me = await client.callTool({ name: 'whoami' });
    expect(me.isError, JSON.stringify(me)).toBeFalsy();
    expect(me.structuredContent).toMatchObject({ data: { email: alice.email } });

    // Exactly two refreshes reached the server, one after the other: the API's and /mcp's own (another audience).
    for (let i = 0; i < 50 && tokenRequestsSince(mark).length < 2; i++) await new Promise((r) => setTimeout(r, 100));
    const refreshes = tokenRequestsSince(mark);
    expect(refreshes.map((r) => r.status)).toEqual([200, 200]);
    expect(mcpErr).not.toMatch(/refused|cannot be used|ended/);

    // The grant was not revoked (a spent refresh token presented again would have ended it): the
    // next refresh, forced, works with the refresh token the last of them left.
    const grants = await call(server.url, 'GET', '/api/user/oauth/grants', { cookie: alice.cookie });
    expect(grants.body.data.filter((g: { clientId: string }) => g.clientId === 'acct-cli')).toHaveLength(1);
    expire(home);
    const again = await acct(['auth', 'token'], home.env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout.trim()).not.toBe([...printed][0]);
    expect((await client.callTool({ name: 'whoami' })).isError).toBeFalsy();
    await client.close();
    expect(lockFiles(home)).toEqual([]);
  }, 90_000);

  it('waits while another process holds the lock, and refreshes once it is released', async () => {
    const home = await signedIn();
    expire(home);
    // Held the way a refreshing acct holds it: a live process (this one) as its holder.
    const file = refreshLockFile(home.configDir, server.url);
    fs.writeFileSync(file, JSON.stringify({ pid: process.pid, host: os.hostname(), nonce: 'held-by-the-test', at: Date.now() }), { mode: 0o600 });
    const mark = server.output().length;
    let finished = false;
    const waiting = acct(['auth', 'token'], home.env).then((r) => ((finished = true), r));
    await new Promise((r) => setTimeout(r, 1_500));
    expect(finished).toBe(false);
    expect(tokenRequestsSince(mark)).toEqual([]);
    fs.rmSync(file);
    const done = await waiting;
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout.trim()).toMatch(/^bo_/);
    expect(tokenRequestsSince(mark)).toHaveLength(1);
    expect(lockFiles(home)).toEqual([]);
  }, 60_000);

  it('takes over a lock left by a process that died, without waiting for it to go stale', async () => {
    const home = await signedIn();
    expire(home);
    const dead = spawn(process.execPath, ['-e', '0']);
    const pid = dead.pid!;
    await new Promise((r) => dead.on('close', r));
    const file = refreshLockFile(home.configDir, server.url);
    fs.writeFileSync(file, JSON.stringify({ pid, host: os.hostname(), nonce: 'left-by-a-crash', at: Date.now() }), { mode: 0o600 });
    const started = Date.now();
    const r = await acct(['auth', 'token'], home.env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toMatch(/^bo_/);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(fs.existsSync(file)).toBe(false);
  }, 60_000);
});
