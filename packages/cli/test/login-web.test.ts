/**
 * `acct login --web` end to end: the built CLI runs the device grant against the real server,
 * the approval is given in the real /device page (as a browser would post it), the tokens go to
 * the keychain, later commands refresh them silently, and `acct apps` sees and ends the grant.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, newUser, startServer, type RunningServer, type TestUser } from '../../server/test/harness.js';
import { answerDevice } from '../../server/test/oauth-support.js';
import { acct, BIN, startKeyring, tempHome, type Home, type Keyring } from './helpers.js';

let server: RunningServer;
let keyring: Keyring;
let alice: TestUser;

beforeAll(async () => {
  // One-minute access tokens: inside the CLI's refresh margin, so every command refreshes first.
  [server, keyring] = await Promise.all([startServer({ ACCT_OAUTH_DEVICE_INTERVAL: '1', ACCT_OAUTH_ACCESS_TOKEN_SECONDS: '60' }), startKeyring()]);
  alice = await newUser(server.url, 'web');
});
afterAll(async () => {
  await Promise.all([server?.stop(), keyring?.stop()]);
});

function machine(): Home {
  return tempHome({ ACCT_HOST: server.url, ...keyring.env });
}

/** Runs `acct login --web`, answers in the /device page once the CLI shows its code, and waits for the CLI. */
async function loginWeb(home: Home, decision: 'allow' | 'deny', extra: string[] = []) {
  const child = spawn(process.execPath, [BIN, 'login', '--web', ...extra], { env: home.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  let answered: Promise<string> | null = null;
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    const code = /one-time code: ([A-Z]{4}-[A-Z]{4})/.exec(stderr)?.[1];
    if (code && !answered) answered = answerDevice(server.url, code, alice.cookie, decision);
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (answered) await answered;
  return { code, stdout, stderr };
}

describe('acct login --web', () => {
  it('signs in through the /device page, keeps the tokens in the keychain and refreshes them silently', async () => {
    const home = machine();
    const login = await loginWeb(home, 'allow');
    expect(login.code, login.stderr).toBe(0);
    expect(login.stderr).toContain(`${server.url}/device?user_code=`);
    expect(login.stderr).toContain(`Logged in to ${server.url} as ${alice.email}`);
    expect(login.stderr).toContain('keychain');

    const whoami = await acct(['whoami'], home.env);
    expect(whoami.stdout + whoami.stderr).toContain(alice.email);

    const first = await acct(['auth', 'token'], home.env);
    expect(first.code).toBe(0);
    expect(first.stdout.trim()).toMatch(/^bo_/);
    const second = await acct(['auth', 'token'], home.env);
    expect(second.stdout.trim()).toMatch(/^bo_/);
    expect(second.stdout.trim()).not.toBe(first.stdout.trim());

    const status = await acct(['auth', 'status'], home.env);
    expect(status.code).toBe(0);
    expect(status.stderr).toContain('OAuth grant from `acct login --web`');
    expect(status.stderr).toContain('Grant: OAuth client acct-cli');
    expect(status.stderr).toMatch(/Scopes: .*projects:write/);
    expect(status.stderr).not.toContain('Expires: unknown');
  });

  it('acct apps lists the grant, and revoking it signs the CLI out', async () => {
    const home = machine();
    expect((await loginWeb(home, 'allow')).code).toBe(0);
    const list = await acct(['apps', 'list', '--json'], home.env);
    expect(list.code).toBe(0);
    const grants = JSON.parse(list.stdout) as { id: string; clientId: string }[];
    const mine = grants.find((g) => g.clientId === 'acct-cli')!;
    expect(mine).toBeDefined();
    const revoke = await acct(['apps', 'revoke', mine.id], home.env);
    expect(revoke.code).toBe(0);
    const after = await acct(['whoami'], home.env);
    expect(after.code).toBe(4);
  });

  it('exits 5 with a clear message when the request is denied in the browser', async () => {
    const home = machine();
    const denied = await loginWeb(home, 'deny');
    expect(denied.code).toBe(5);
    expect(denied.stderr).toContain('denied in the browser');
  });
});

/**
 * The device grant's time-dependent answers through the CLI, on a server with the test clock:
 * `expired_token` once the device code's lifetime passed, and `slow_down`, which the real server
 * sends when a second poll arrives too soon; a forwarding proxy between the CLI and the server
 * polls once more with the CLI's own device code just before passing the CLI's first poll on.
 */
describe('acct login --web over time', () => {
  let timed: RunningServer;
  let proxy: http.Server;
  let proxyUrl: string;
  let carol: TestUser;
  /** Times (ms) of the CLI's polls through the proxy, and the server's answers. */
  const polls: { at: number; error: string | undefined }[] = [];
  let doublePoll = false;

  beforeAll(async () => {
    timed = await startServer({ NODE_ENV: 'test', ACCT_TEST_CLOCK: '1', ACCT_OAUTH_DEVICE_INTERVAL: '1', ACCT_OAUTH_DEVICE_CODE_SECONDS: '60' });
    carol = await newUser(timed.url, 'timed');
    proxy = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const body = Buffer.concat(chunks);
        const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !['host', 'connection', 'content-length'].includes(k)) as [string, string][]);
        const forward = () => fetch(`${timed.url}${req.url}`, { method: req.method!, headers, ...(body.length ? { body } : {}), redirect: 'manual' });
        const isPoll = req.url === '/oauth2/token' && body.toString().includes('device_code');
        if (isPoll && doublePoll && polls.length === 0) await (await forward()).arrayBuffer();
        const answer = await forward();
        const text = Buffer.from(await answer.arrayBuffer());
        if (isPoll) polls.push({ at: Date.now(), error: answer.status === 200 ? undefined : (JSON.parse(text.toString()) as { error: string }).error });
        const out: Record<string, string> = {};
        answer.headers.forEach((v, k) => { if (!['content-encoding', 'transfer-encoding', 'connection', 'content-length'].includes(k)) out[k] = v; });
        res.writeHead(answer.status, out).end(text);
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await Promise.all([timed?.stop(), new Promise((r) => proxy?.close(r))]);
  });

  /** Runs `acct login --web` against `host`; `onCode` runs once the CLI shows its code. */
  async function run(host: string, onCode: (code: string) => Promise<unknown>) {
    const home = tempHome({ ACCT_HOST: host, ...keyring.env });
    const child = spawn(process.execPath, [BIN, 'login', '--web'], { env: home.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let acted: Promise<unknown> | null = null;
    child.stdout.resume();
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      const code = /one-time code: ([A-Z]{4}-[A-Z]{4})/.exec(stderr)?.[1];
      if (code && !acted) acted = onCode(code);
    });
    const exit = await new Promise<number | null>((resolve) => child.on('close', resolve));
    if (acted) await acted;
    return { code: exit, stderr };
  }

  it('exits 4 with a clear message when the code expires before it is approved', async () => {
    const result = await run(timed.url, async () => {
      const moved = await call(timed.url, 'POST', '/__test/clock', { body: { offsetSeconds: 61 } });
      expect(moved.status).toBe(200);
    });
    expect(result.code, result.stderr).toBe(4);
    expect(result.stderr).toContain('the code expired before it was approved');
    expect(result.stderr).toContain('acct login --web');
  });

  it('backs off by 5 s on slow_down and still completes once approved', async () => {
    polls.length = 0;
    doublePoll = true;
    let approve: () => void = () => {};
    const approved = new Promise<void>((resolve) => (approve = resolve));
    const result = await run(proxyUrl, async (code) => {
      // Approve only after the CLI got its slow_down and polled again, so the backoff is observable.
      while (polls.length < 2) await new Promise((r) => setTimeout(r, 100));
      await answerDevice(timed.url, code, carol.cookie, 'allow');
      approve();
    });
    await approved;
    expect(result.code, result.stderr).toBe(0);
    expect(polls[0]!.error).toBe('slow_down');
    // Interval 1 s plus the 5 s slow_down adds (RFC 8628 §3.5) before the next poll.
    expect(polls[1]!.at - polls[0]!.at).toBeGreaterThanOrEqual(5_900);
    expect(polls.at(-1)!.error).toBeUndefined();
  });
});
