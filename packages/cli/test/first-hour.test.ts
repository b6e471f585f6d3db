// test-dialects: sqlite — the CLI (its flags, output, keychain, exit codes); the server API it calls is covered on PostgreSQL by the server suites
/**
 * The first hour of a new user (issue 12): the README's CLI Quick Start run verbatim, then the
 * organization commands a person tries next, and what `acct auth status` tells them.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { call, email, newKey, newUser, PASSWORD, startServer, type RunningServer } from '../../server/test/harness.js';
import { acct, inTerminal, startKeyring, tempHome, type Home, type Keyring } from './helpers.js';

// Each case signs up and in through a real terminal (two Argon2 hashes and PTY round trips):
// slow on a busy machine, so more room than the default minute.
vi.setConfig({ testTimeout: 150_000 });

let server: RunningServer;
let keyring: Keyring;
beforeAll(async () => {
  [server, keyring] = await Promise.all([startServer(), startKeyring()]);
});
afterAll(async () => {
  await Promise.all([server?.stop(), keyring?.stop()]);
});

function machine(): Home {
  return tempHome({ ACCT_HOST: server.url, ...keyring.env });
}

/** `acct signup` and `acct login` exactly as the README writes them: no flags, prompts answered in a terminal. */
async function signupAndLoginAsTheReadmeSays(home: Home): Promise<string> {
  const address = email('readme');
  const up = await inTerminal(
    ['signup'],
    [
      ['Email', `${address}\r`],
      ['Name', 'Readme Person\r'],
      ['Password \\(at least', `${PASSWORD}\r`],
      ['Password again', `${PASSWORD}\r`],
    ],
    home.env,
  );
  expect(up.code, up.screen).toBe(0);
  const login = await inTerminal(['login'], [['Email', `${address}\r`], ['Password', `${PASSWORD}\r`]], home.env);
  expect(login.code, login.screen).toBe(0);
  return address;
}

describe("the README's CLI Quick Start, verbatim, then the organization commands", () => {
  it('acct signup · acct login · acct keys create … --save · acct call /api/user/me; then projects list and orgs list work', async () => {
    const home = machine();
    const address = await signupAndLoginAsTheReadmeSays(home);
    const key = await acct(['keys', 'create', '--name', 'CI deploy bot', '--scope', 'user:read', '--scope', 'projects:read', '--expires', '30d', '--save'], home.env);
    expect(key.code, key.stderr).toBe(0);
    const me = await acct(['call', '/api/user/me'], home.env);
    expect(me.code, me.stderr).toBe(0);
    expect(JSON.parse(me.stdout).data.email).toBe(address);

    const projects = await acct(['projects', 'list'], home.env);
    expect(projects.code, projects.stderr).toBe(0);
    expect(projects.stderr).toMatch(/No projects in .* yet/);
    const orgs = await acct(['orgs', 'list'], home.env);
    expect(orgs.code, orgs.stderr).toBe(0);
    expect(orgs.stdout.trim().split('\n')).toHaveLength(1);
  });

  it('a saved key that may not list organizations is no dead end while a session is signed in', async () => {
    const home = machine();
    await signupAndLoginAsTheReadmeSays(home);
    const key = await acct(['keys', 'create', '--name', 'projects only', '--scope', 'projects:read', '--save'], home.env);
    expect(key.code, key.stderr).toBe(0);
    const projects = await acct(['projects', 'list', '--json'], home.env);
    expect(projects.code, projects.stderr).toBe(0);
    expect(JSON.parse(projects.stdout)).toEqual([]);
    const orgs = await acct(['orgs', 'list', '--json'], home.env);
    expect(orgs.code, orgs.stderr).toBe(0);
    expect(JSON.parse(orgs.stdout)).toHaveLength(1);
  });

  it('a saved key pinned to an organization works there without --org, even with several organizations', async () => {
    const home = machine();
    await signupAndLoginAsTheReadmeSays(home);
    const second = await acct(['orgs', 'create', 'Second'], home.env);
    expect(second.code, second.stderr).toBe(0);
    const secondId = second.stdout.trim();
    const key = await acct(['keys', 'create', '--name', 'pinned', '--scope', 'projects:read', '--scope', 'projects:write', '--org', secondId, '--save'], home.env);
    expect(key.code, key.stderr).toBe(0);
    const created = await acct(['projects', 'create', '--name', 'Pinned site'], home.env);
    expect(created.code, created.stderr).toBe(0);
    const list = await acct(['call', `/api/user/organizations/${secondId}/projects`], home.env);
    expect(JSON.parse(list.stdout).data.map((p: { name: string }) => p.name)).toEqual(['Pinned site']);
  });

  it('with only a token that may not list organizations, the error says what to do (exit 2)', async () => {
    const user = await newUser(server.url, 'no-list');
    const { key } = await newKey(server.url, user.cookie, ['projects:read']);
    const r = await acct(['projects', 'list'], tempHome({ ACCT_HOST: server.url, ACCT_TOKEN: key }).env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/pass --org ID .*token from ACCT_TOKEN.* may not list your organizations/);
    expect(r.stderr).toMatch(/user:read or organizations:read/);
  });
});

describe('acct auth status says which credential the next command uses, and why', () => {
  it('saved token before the session, ACCT_TOKEN before both, the session when nothing else', async () => {
    const home = machine();
    await signupAndLoginAsTheReadmeSays(home);
    const session = await acct(['auth', 'status'], home.env);
    expect(session.stderr).toMatch(/Credential: session cookie/);
    expect(session.stderr).toMatch(/Why this credential: no --token, no ACCT_TOKEN and no saved token: the session from `acct login` is used/);

    const key = await acct(['keys', 'create', '--name', 'k', '--scope', 'user:read', '--save'], home.env);
    expect(key.code, key.stderr).toBe(0);
    const saved = await acct(['auth', 'status'], home.env);
    expect(saved.stderr).toMatch(/Credential: saved token \(OS keychain\)/);
    expect(saved.stderr).toMatch(/Why this credential: a token is saved for .*: it goes before the session cookie \(you are also signed in/);

    const env = await acct(['auth', 'status', '--json'], { ...home.env, ACCT_TOKEN: key.stdout.trim() });
    const status = JSON.parse(env.stdout);
    expect(status.credential.source).toBe('env');
    expect(status.credential.reason).toMatch(/ACCT_TOKEN is set/);
  });

  it('shows the expiry of a key saved with login --with-token (no api-keys:read), read with the session', async () => {
    const home = machine();
    await signupAndLoginAsTheReadmeSays(home);
    const minted = await acct(['keys', 'create', '--name', 'expiring', '--scope', 'user:read', '--expires', '7d'], home.env);
    expect(minted.code, minted.stderr).toBe(0);
    const login = await acct(['login', '--with-token'], home.env, minted.stdout);
    expect(login.code, login.stderr).toBe(0);
    const r = await acct(['auth', 'status'], home.env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/Expires: \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
  });
});

describe('small dead ends of the first hour', () => {
  const port = () => new URL(server.url).port;

  it('--host 127.0.0.1:PORT without a scheme means http on loopback', async () => {
    const r = await acct(['call', '/api/auth/scopes', '--host', `127.0.0.1:${port()}`], tempHome().env);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).success).toBe(true);
    const local = await acct(['call', '/api/auth/scopes', '--host', `localhost:${port()}`], tempHome().env);
    expect(local.code, local.stderr).toBe(0);
  });

  it('https to a plain-HTTP server says so instead of dumping OpenSSL (exit 3)', async () => {
    const r = await acct(['call', '/api/auth/scopes', '--host', `https://127.0.0.1:${port()}`], tempHome().env);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`could not speak https to https://127.0.0.1:${port()}; is it http?`);
    expect(r.stderr).not.toMatch(/SSL routines|ssl3_get_record|wrong version number/i);
  });

  it('acct signup in a terminal asks again for a password the server refuses, saying why', async () => {
    const home = tempHome({ ACCT_HOST: server.url });
    const address = email('reprompt');
    const r = await inTerminal(
      ['signup'],
      [
        ['Email', `${address}\r`],
        ['Name', 'Reprompt Person\r'],
        ['Password \\(at least', 'too-short\r'],
        ['Password again', 'too-short\r'],
        ['must be at least 15 characters[\\s\\S]*Password \\(at least', `${PASSWORD}\r`],
        ['must be at least 15 characters[\\s\\S]*Password again', `${PASSWORD}\r`],
      ],
      home.env,
    );
    expect(r.code, r.screen).toBe(0);
    expect(r.screen).toContain('Account created');
    expect(r.screen).not.toContain(PASSWORD);
  });

  it('expiresIn below 60 seconds answers the rule, from the API and from acct keys create --expires', async () => {
    const user = await newUser(server.url, 'expires');
    const res = await call(server.url, 'POST', '/api/auth/api-key/create', { cookie: user.cookie, body: { name: 'k', scopes: ['user:read'], expiresIn: 1 } });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ field: 'expiresIn', message: 'expiresIn must be a whole number of seconds, at least 60 seconds (at most 10 years), or null for no expiry' }]);
    expect(res.text).not.toMatch(/union/i);

    const home = tempHome({ ACCT_HOST: server.url });
    expect((await acct(['login', '--email', user.email, '--password-stdin'], home.env, user.password)).code).toBe(0);
    const r = await acct(['keys', 'create', '--name', 'k', '--scope', 'user:read', '--expires', '1s'], home.env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/at least 60 seconds .*or null for no expiry/);
  });
});
