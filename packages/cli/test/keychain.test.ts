// test-dialects: sqlite — the CLI (its flags, output, keychain, exit codes); the server API it calls is covered on PostgreSQL by the server suites
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newKey, newUser, startServer, type RunningServer } from '../../server/test/harness.js';
import { acct, ROOT, startKeyring, tempHome, type Keyring } from './helpers.js';

let server: RunningServer;
let keyring: Keyring;
beforeAll(async () => {
  [server, keyring] = await Promise.all([startServer(), startKeyring()]);
});
afterAll(async () => {
  await Promise.all([server?.stop(), keyring?.stop()]);
});

/** Reads the keychain as another Secret Service client would: service `acct`, every account. */
function keychainItems(): { account: string; password: string }[] {
  const script = "import('@napi-rs/keyring').then(({ findCredentials }) => process.stdout.write(JSON.stringify(findCredentials('acct'))))";
  const r = spawnSync(process.execPath, ['-e', script], { cwd: path.join(ROOT, 'packages/cli'), env: { PATH: process.env['PATH'] ?? '', ...keyring.env }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

async function freshToken(scopes = ['user:read']) {
  const user = await newUser(server.url, 'keychain');
  return { user, ...(await newKey(server.url, user.cookie, scopes)) };
}

describe('OS keychain (gnome-keyring over D-Bus)', () => {
  it('login --with-token saves the PAT under service acct, one account per host and key; logout --forget-token deletes it', async () => {
    const { key, user } = await freshToken();
    const home = tempHome({ ACCT_HOST: server.url, ...keyring.env });
    const login = await acct(['login', '--with-token'], home.env, `${key}\n`);
    expect(login.code, login.stderr).toBe(0);
    expect(login.stderr).toMatch(/Saved token ba_\w{4}… for .* in the OS keychain/);

    const items = keychainItems().filter((i) => i.account.startsWith(server.url));
    expect(items.map((i) => i.account)).toEqual([`${server.url} ${key.slice(3, 15)}`]);
    expect(items[0]!.password === key).toBe(true);
    expect(fs.readFileSync(path.join(home.configDir, 'config.json'), 'utf8').includes(key)).toBe(false);

    const me = await acct(['whoami'], home.env);
    expect(me.code, me.stderr).toBe(0);
    expect(me.stdout).toBe(`${user.email}\n`);
    const status = await acct(['auth', 'status'], home.env);
    expect(status.stderr).toContain('saved token (OS keychain)');

    const out = await acct(['logout', '--forget-token'], home.env);
    expect(out.code, out.stderr).toBe(0);
    expect(keychainItems().filter((i) => i.account.startsWith(server.url))).toEqual([]);
    expect((await acct(['whoami'], home.env)).code).toBe(4);
  });
});

describe('no secret service (DBUS_SESSION_BUS_ADDRESS points nowhere)', () => {
  const nowhere = { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/acct-no-bus' };

  it('refuses to save without --insecure-storage, says so on stderr, and writes no file', async () => {
    const { key } = await freshToken();
    const home = tempHome({ ACCT_HOST: server.url, ...nowhere });
    const started = Date.now();
    const r = await acct(['login', '--with-token'], home.env, key);
    expect(r.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(r.stderr).toMatch(/no OS keychain available/);
    expect(r.stderr).toMatch(/--insecure-storage/);
    expect(fs.existsSync(path.join(home.configDir, 'tokens.json'))).toBe(false);
    expect((await acct(['whoami'], home.env)).code).toBe(4);
  });

  it('keys create --save refuses before minting anything', async () => {
    const { user } = await freshToken();
    const home = tempHome({ ACCT_HOST: server.url, ...nowhere });
    expect((await acct(['login', '--email', user.email, '--password-stdin'], home.env, user.password)).code).toBe(0);
    const r = await acct(['keys', 'create', '--name', 'x', '--scope', 'user:read', '--save'], home.env);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const list = await acct(['keys', 'list', '--json'], home.env);
    expect(JSON.parse(list.stdout).map((k: { name: string }) => k.name)).toEqual(['test key']);
  });

  it('with --insecure-storage uses a 0600 file, warns, and the next run uses it', async () => {
    const { key, user } = await freshToken();
    const home = tempHome({ ACCT_HOST: server.url, ...nowhere });
    const r = await acct(['login', '--with-token', '--insecure-storage'], home.env, key);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/no OS keychain available/);
    expect(r.stderr).toMatch(/warning: --insecure-storage/);
    const file = path.join(home.configDir, 'tokens.json');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(home.configDir).mode & 0o777).toBe(0o700);
    const me = await acct(['whoami'], home.env);
    expect(me.stdout).toBe(`${user.email}\n`);
    const status = await acct(['auth', 'status'], home.env);
    expect(status.stderr).toContain('plain file, --insecure-storage');

    // A token file others can read is refused, as ssh refuses such a key.
    fs.chmodSync(file, 0o644);
    const refused = await acct(['call', '/api/user/me'], home.env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/refusing to use the token file .* mode is 0644/);
  });
});

describe('cookie jar permissions', () => {
  it('a group/world-readable jar is refused with a fix; 0600 works again', async () => {
    const { user } = await freshToken();
    const home = tempHome({ ACCT_HOST: server.url });
    expect((await acct(['login', '--email', user.email, '--password-stdin'], home.env, user.password)).code).toBe(0);
    const jar = path.join(home.configDir, 'cookies.json');
    fs.chmodSync(jar, 0o640);
    const r = await acct(['whoami'], home.env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/refusing to use the cookie jar .*cookies\.json: its mode is 0640/);
    expect(r.stderr).toMatch(/chmod 600/);
    fs.chmodSync(jar, 0o600);
    expect((await acct(['whoami'], home.env)).code).toBe(0);
  });
});
