/**
 * `acct login --web` end to end: the built CLI runs the device grant against the real server,
 * the approval is given in the real /device page (as a browser would post it), the tokens go to
 * the keychain, later commands refresh them silently, and `acct apps` sees and ends the grant.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newUser, startServer, type RunningServer, type TestUser } from '../../server/test/harness.js';
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
