// test-dialects: sqlite — the CLI (its flags, output, keychain, exit codes); the server API it calls is covered on PostgreSQL by the server suites
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, email, PASSWORD, startServer, type RunningServer } from '../../server/test/harness.js';
import { acct, startKeyring, tempHome, type Home, type Keyring } from './helpers.js';

let server: RunningServer;
let keyring: Keyring;
beforeAll(async () => {
  [server, keyring] = await Promise.all([startServer(), startKeyring()]);
});
afterAll(async () => {
  await Promise.all([server?.stop(), keyring?.stop()]);
});

/** A person's machine: its own HOME, the test keyring, ACCT_HOST pointing at the server. */
function machine(): Home {
  return tempHome({ ACCT_HOST: server.url, ...keyring.env });
}

/** Signs up and logs in through the CLI, as the Quick Start's first two steps. */
async function signedIn(home: Home, address = email('cli')) {
  const up = await acct(['signup', '--email', address, '--name', 'Cli Person', '--password-stdin'], home.env, `${PASSWORD}\n`);
  expect(up.code, up.stderr).toBe(0);
  const login = await acct(['login', '--email', address, '--password-stdin'], home.env, `${PASSWORD}\n`);
  expect(login.code, login.stderr).toBe(0);
  return address;
}

async function orgs(home: Home): Promise<{ id: string; name: string }[]> {
  const r = await acct(['orgs', 'list', '--json'], home.env);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

describe('from nothing to an authenticated call in four commands', () => {
  const home = () => state.home!;
  const state: { home?: Home; key?: string; keyId?: string; address?: string } = {};

  it('signup, login, keys create --save, call', async () => {
    state.home = machine();
    state.address = await signedIn(home());
    const created = await acct(
      ['keys', 'create', '--name', 'CI deploy bot', '--scope', 'user:read', '--scope', 'projects:read', '--expires', '30d', '--save'],
      home().env,
    );
    expect(created.code, created.stderr).toBe(0);
    // stdout is not a TTY: only the key, so KEY=$(acct keys create …) works.
    expect(created.stdout).toMatch(/^ba_[0-9A-Za-z]{50}\n$/);
    state.key = created.stdout.trim();
    state.keyId = /(ak_\w+)/.exec(created.stderr)![1];
    expect(created.stderr).toMatch(/Saved to the OS keychain/);

    const me = await acct(['call', '/api/user/me', '--verbose'], home().env);
    expect(me.code, me.stderr).toBe(0);
    const body = JSON.parse(me.stdout);
    expect(body.data.email).toBe(state.address);
    // The saved PAT (not the cookie) carried it, and the trace masked it.
    expect(me.stderr).toMatch(/> authorization: Bearer ba_\w{4}…/);
    expect(me.stderr.includes(state.key)).toBe(false);
    expect(me.stderr).not.toMatch(/> cookie:/);

    // Nothing secret on disk outside the keychain; files 0600, dirs 0700.
    for (const f of ['config.json', 'cookies.json']) {
      const file = path.join(home().configDir, f);
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      expect(fs.readFileSync(file, 'utf8').includes(state.key)).toBe(false);
    }
    expect(fs.statSync(home().configDir).mode & 0o777).toBe(0o700);
    expect(fs.existsSync(path.join(home().configDir, 'tokens.json'))).toBe(false);
  });

  it('auth status shows the keychain token masked, its scopes and expiry', async () => {
    const r = await acct(['auth', 'status'], home().env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(server.url);
    expect(r.stderr).toMatch(/Credential: saved token \(OS keychain\) ba_\w{4}…/);
    expect(r.stderr).toContain(`Signed in as: ${state.address}`);
    expect(r.stderr).toContain('Scopes: user:read, projects:read');
    expect(r.stderr).toMatch(/Expires: \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    expect(r.stderr.includes(state.key!)).toBe(false);
  });

  it('CI: ACCT_TOKEN alone in a clean environment, leaving nothing behind', async () => {
    const ci = tempHome({ ACCT_HOST: server.url, ACCT_TOKEN: state.key! });
    const r = await acct(['call', '/api/user/me'], ci.env);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).data.email).toBe(state.address);
    expect(fs.existsSync(ci.configDir)).toBe(false);
  });

  it('a key without the scope: exit 5, naming the missing scope', async () => {
    const ci = tempHome({ ACCT_HOST: server.url, ACCT_TOKEN: state.key! });
    const r = await acct(['call', 'POST', '/api/user/organizations', '-f', 'name=Nope'], ci.env);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('INSUFFICIENT_SCOPE');
    expect(r.stderr).toMatch(/needs the scope organizations:write/);
  });

  it('keys list, get, update and rotate use the session even with a saved PAT', async () => {
    const list = await acct(['keys', 'list', '--json'], home().env);
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout).map((k: { id: string }) => k.id)).toContain(state.keyId);
    const get = await acct(['keys', 'get', state.keyId!], home().env);
    expect(get.code, get.stderr).toBe(0);
    expect(get.stdout).toContain('CI deploy bot');
    const update = await acct(['keys', 'update', state.keyId!, '--name', 'CI bot (renamed)', '--json'], home().env);
    expect(update.code, update.stderr).toBe(0);
    expect(JSON.parse(update.stdout).name).toBe('CI bot (renamed)');

    const rotated = await acct(['keys', 'rotate', state.keyId!], home().env);
    expect(rotated.code, rotated.stderr).toBe(0);
    const fresh = rotated.stdout.trim();
    expect(fresh).toMatch(/^ba_/);
    expect(fresh === state.key).toBe(false);
    // The saved copy was replaced in the keychain: the next call uses the new secret.
    const me = await acct(['call', '/api/user/me'], home().env);
    expect(me.code, me.stderr).toBe(0);
    const old = await acct(['call', '/api/user/me'], tempHome({ ACCT_HOST: server.url, ACCT_TOKEN: state.key! }).env);
    expect(old.code).toBe(4);
    state.key = fresh;
  });

  it('revoke: the key stops working at once (exit 4) and its saved copy is deleted', async () => {
    const r = await acct(['keys', 'revoke', state.keyId!], home().env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/Revoked key/);
    expect(r.stderr).toMatch(/Deleted its saved copy/);
    const after = await acct(['call', '/api/user/me'], tempHome({ ACCT_HOST: server.url, ACCT_TOKEN: state.key! }).env);
    expect(after.code).toBe(4);
    expect(after.stderr).toMatch(/401 (INVALID_TOKEN|TOKEN_EXPIRED)/);
    // Back on the session cookie now.
    const status = await acct(['auth', 'status'], home().env);
    expect(status.stderr).toMatch(/Credential: session cookie/);
  });

  it('logout ends the session on the server and clears the cookie; the next run is signed out', async () => {
    const jar = JSON.parse(fs.readFileSync(path.join(home().configDir, 'cookies.json'), 'utf8'));
    const cookie = jar.cookies.find((c: { key: string }) => c.key === 'acct_session');
    expect(cookie).toBeTruthy();
    const r = await acct(['logout', '--forget-token'], home().env);
    expect(r.code, r.stderr).toBe(0);
    const stale = await call(server.url, 'GET', '/api/user/me', { cookie: `acct_session=${cookie.value}` });
    expect(stale.status).toBe(401);
    const who = await acct(['whoami'], home().env);
    expect(who.code).toBe(4);
  });
});

describe('organizations and pinning', () => {
  it('a key pinned to org A works on A and gets exit 5 on org B', async () => {
    const home = machine();
    await signedIn(home);
    const [orgA] = await orgs(home);
    const b = await acct(['call', 'POST', '/api/user/organizations', '-f', 'name=Org B'], home.env);
    expect(b.code, b.stderr).toBe(0);
    const orgB = JSON.parse(b.stdout).data;
    const pinned = await acct(['keys', 'create', '--name', 'pinned', '--scope', 'projects:read', '--scope', 'projects:write', '--org', orgA!.id], home.env);
    expect(pinned.code, pinned.stderr).toBe(0);
    const ci = tempHome({ ACCT_HOST: server.url, ACCT_TOKEN: pinned.stdout.trim() }).env;

    const created = await acct(['projects', 'create', '--org', orgA!.id, '--name', 'Site'], ci);
    expect(created.code, created.stderr).toBe(0);
    const onA = await acct(['projects', 'list', '--org', orgA!.id, '--json'], ci);
    expect(onA.code, onA.stderr).toBe(0);
    expect(JSON.parse(onA.stdout).map((p: { name: string }) => p.name)).toEqual(['Site']);

    const onB = await acct(['call', `/api/user/organizations/${orgB.id}/projects`], ci);
    expect(onB.code).toBe(5);
    expect(onB.stderr).toContain('ORGANIZATION_MISMATCH');
  });

  it('projects list without --org picks the only organization; --paginate merges pages', async () => {
    const home = machine();
    await signedIn(home);
    const [org] = await orgs(home);
    for (const name of ['one', 'two', 'three']) {
      const r = await acct(['projects', 'create', '--name', name], home.env);
      expect(r.code, r.stderr).toBe(0);
    }
    const all = await acct(['call', `/api/user/organizations/${org!.id}/projects`, '-X', 'GET', '-F', 'limit=2', '--paginate'], home.env);
    expect(all.code, all.stderr).toBe(0);
    expect(JSON.parse(all.stdout).data.map((p: { name: string }) => p.name)).toEqual(['one', 'two', 'three']);
  });
});

describe('sessions across processes and hosts', () => {
  it('a second acct process sees the session the first created, and only for that host', async () => {
    const home = machine();
    const address = await signedIn(home);
    const who = await acct(['whoami'], home.env);
    expect(who.code, who.stderr).toBe(0);
    expect(who.stdout).toBe(`${address}\n`);
    const elsewhere = await acct(['whoami', '--host', 'http://localhost:1'], home.env);
    expect(elsewhere.code).toBe(4);
  });

  it('plain HTTP to a non-loopback host is refused (exit 2), even with a token', async () => {
    const r = await acct(['call', '/api/user/me', '--host', 'http://acct.example.com'], tempHome({ ACCT_TOKEN: 'x' }).env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/refusing plain HTTP/);
  });

  it('an unreachable server is exit 3', async () => {
    const r = await acct(['call', '/api/user/me', '--host', 'http://127.0.0.1:1'], tempHome({ ACCT_TOKEN: 'x' }).env);
    expect(r.code).toBe(3);
  });

  it('nothing prompts without a TTY: login with no password source is exit 2', async () => {
    const r = await acct(['login', '--email', 'a@example.com'], machine().env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--password-stdin is required/);
  });
});
