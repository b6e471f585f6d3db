// test-dialects: sqlite — the CLI (its flags, output, keychain, exit codes); the server API it calls is covered on PostgreSQL by the server suites
/**
 * gh parity: several accounts per host (`acct auth switch`), `acct auth status` listing them, and
 * `acct auth token` for `$(acct auth token)`. Real server, real keychain, the built CLI.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { call, newUser, startServer, type RunningServer } from '../../server/test/harness.js';
import { acct, startKeyring, tempHome, type Keyring } from './helpers.js';

// One long story of about twenty CLI runs: more room than the default minute on a busy machine.
vi.setConfig({ testTimeout: 180_000 });

let server: RunningServer;
let keyring: Keyring;
beforeAll(async () => {
  [server, keyring] = await Promise.all([startServer(), startKeyring()]);
});
afterAll(async () => {
  await Promise.all([server?.stop(), keyring?.stop()]);
});

describe('several accounts on one host', () => {
  it('login as a second account keeps the first; switch moves between them, sessions and saved tokens included', async () => {
    const [ana, bo] = await Promise.all([newUser(server.url, 'ana'), newUser(server.url, 'bo')]);
    const home = tempHome({ ACCT_HOST: server.url, ...keyring.env });
    const run = (args: string[], input?: string) => acct(args, home.env, input);

    expect((await run(['login', '--email', ana.email, '--password-stdin'], ana.password)).code).toBe(0);
    const anaKey = await run(['keys', 'create', '--name', 'ana key', '--scope', 'user:read', '--save']);
    expect(anaKey.code, anaKey.stderr).toBe(0);

    const loginBo = await run(['login', '--email', bo.email, '--password-stdin'], bo.password);
    expect(loginBo.code, loginBo.stderr).toBe(0);
    expect(loginBo.stderr).toContain(`Also signed in here: ${ana.email}`);
    // Bo is active: Ana's saved token is hers, not Bo's, so it is not used for Bo.
    expect((await run(['whoami'])).stdout).toBe(`${bo.email}\n`);

    const status = await run(['auth', 'status']);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stderr).toContain(`* ${bo.email} (active): session`);
    expect(status.stderr).toContain(`  ${ana.email}: session, 1 saved token`);

    // Bo has only a session, which is no bearer token: auth token says so instead of printing the cookie.
    const boSession = await run(['auth', 'token']);
    expect(boSession.code).toBe(1);
    expect(boSession.stdout).toBe('');
    expect(boSession.stderr).toMatch(/session cookie, which works only as a cookie/);
    const boKey = await run(['keys', 'create', '--name', 'bo key', '--scope', 'user:read', '--save']);
    expect(boKey.code, boKey.stderr).toBe(0);
    // auth token prints only the token in use; it works as a bearer token.
    const boToken = await run(['auth', 'token']);
    expect(boToken.code, boToken.stderr).toBe(0);
    expect(boToken.stdout).toBe(boKey.stdout);
    const asBo = await call(server.url, 'GET', '/api/user/me', { bearer: boToken.stdout.trim() });
    expect(asBo.body.data.email).toBe(bo.email);

    // Two accounts: switch without --user goes to the other one.
    const toAna = await run(['auth', 'switch']);
    expect(toAna.code, toAna.stderr).toBe(0);
    expect(toAna.stderr).toContain(`Switched the active account on ${server.url} to ${ana.email} (was ${bo.email})`);
    expect((await run(['whoami'])).stdout).toBe(`${ana.email}\n`);
    expect((await run(['auth', 'token'])).stdout).toBe(anaKey.stdout);
    // Her session came back too: key management (session-only) acts for Ana.
    const anaKeys = await run(['keys', 'list', '--json']);
    expect(anaKeys.code, anaKeys.stderr).toBe(0);
    expect(JSON.parse(anaKeys.stdout).map((k: { name: string }) => k.name)).toEqual(['ana key']);

    const toBo = await run(['auth', 'switch', '--user', bo.email]);
    expect(toBo.code, toBo.stderr).toBe(0);
    expect((await run(['whoami'])).stdout).toBe(`${bo.email}\n`);
    expect(JSON.parse((await run(['keys', 'list', '--json'])).stdout).map((k: { name: string }) => k.name)).toEqual(['bo key']);
    expect((await run(['auth', 'token'])).stdout).toBe(boKey.stdout);

    const unknown = await run(['auth', 'switch', '--user', 'nobody@example.com']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no account nobody@example.com/);
  });

  it('auth token with no credential: nothing on stdout, exit 4 and a hint', async () => {
    const r = await acct(['auth', 'token'], tempHome({ ACCT_HOST: server.url }).env);
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/no credential for/);
    expect(r.stderr).toMatch(/acct login/);
  });

  it('auth token prints ACCT_TOKEN when that is what the next command would send', async () => {
    const r = await acct(['auth', 'token'], tempHome({ ACCT_HOST: server.url, ACCT_TOKEN: 'ba_from_the_environment' }).env);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('ba_from_the_environment\n');
  });
});
