// test-dialects: sqlite — the CLI (its flags, output, keychain, exit codes); the server API it calls is covered on PostgreSQL by the server suites
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newUser, startServer, type RunningServer } from '../../server/test/harness.js';
import { createContext } from '../src/context.js';
import { FileStore, KeychainUnavailableError, type SecretStore } from '../src/lib/secrets.js';
import { acct, BIN, fakeIO, tempHome, type Home, type Result } from './helpers.js';

let server: RunningServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
});

/**
 * Runs the built `acct` inside its own D-Bus session whose gnome-keyring was unlocked with an
 * EMPTY password: it has no default collection, so it answers reads ("nothing there") but
 * refuses every write ("Secret Service: no result found").
 */
function acctInEmptyPasswordKeyring(args: string[], home: Home): Promise<Result> {
  const keyringHome = fs.mkdtempSync(path.join(os.tmpdir(), 'acct-empty-keyring-'));
  const script = `XDG_DATA_HOME="$1/data" HOME="$1" sh -c "printf '' | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1"; shift; exec "$@"`;
  const env = { ...home.env };
  delete (env as Record<string, string | undefined>)['DBUS_SESSION_BUS_ADDRESS'];
  return new Promise((resolve, reject) => {
    const child = spawn('dbus-run-session', ['--', 'sh', '-c', script, 'sh', keyringHome, process.execPath, BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      fs.rmSync(keyringHome, { recursive: true, force: true });
      // dbus-daemon's own complaints (fd limits in containers) are not the CLI's output.
      resolve({ code, stdout, stderr: stderr.replace(/^dbus-daemon\[\d+\].*\n?/gm, '') });
    });
  });
}

async function signedInHome(): Promise<{ home: Home; user: Awaited<ReturnType<typeof newUser>> }> {
  const user = await newUser(server.url, 'readonly-keyring');
  const home = tempHome({ ACCT_HOST: server.url });
  const login = await acct(['login', '--email', user.email, '--password-stdin'], home.env, user.password);
  expect(login.code, login.stderr).toBe(0);
  return { home, user };
}

async function keyNames(home: Home): Promise<string[]> {
  const list = await acct(['keys', 'list', '--json'], home.env);
  expect(list.code, list.stderr).toBe(0);
  return JSON.parse(list.stdout).map((k: { name: string }) => k.name);
}

/** A key minted (not saved) in `home`: its secret and id. */
async function mintedKey(home: Home, name: string): Promise<{ key: string; id: string }> {
  const r = await acct(['keys', 'create', '--name', name, '--scope', 'user:read', '--json'], home.env);
  expect(r.code, r.stderr).toBe(0);
  const data = JSON.parse(r.stdout) as { key: string; id: string };
  return { key: data.key, id: data.id };
}

/** The keychain as the old read-only probe saw that keyring: the probe passes, every write fails. */
const refusesWrites: SecretStore = {
  kind: 'keychain',
  description: 'the OS keychain',
  get: async () => null,
  set: async () => {
    throw new KeychainUnavailableError("Couldn't access platform storage: Secret Service: no result found");
  },
  delete: async () => false,
  probe: async () => {},
};

const works = async (token: string) => (await acct(['call', '/api/user/me'], tempHome({ ACCT_HOST: server.url, ACCT_TOKEN: token }).env)).code === 0;

describe('a keychain that answers reads but refuses writes (gnome-keyring unlocked with an empty password)', () => {
  it('keys rotate --save finds out by writing a test entry, before rotating: the old secret keeps working', async () => {
    const { home } = await signedInHome();
    const { key, id } = await mintedKey(home, 'rot');
    const r = await acctInEmptyPasswordKeyring(['keys', 'rotate', id, '--save'], home);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/no OS keychain available \(.*no result found.*\)/);
    expect(await works(key)).toBe(true);
  });

  it('when saving the rotated key still fails, the new secret is printed on stdout, with a clear message and a non-zero exit (as keys create)', async () => {
    const { home } = await signedInHome();
    const { key: old, id } = await mintedKey(home, 'rot2');
    const io = fakeIO();
    const ctx = createContext({ host: server.url }, { io, env: home.env, secrets: { keychain: refusesWrites, file: new FileStore(home.configDir) } });
    const { run } = await import('../src/commands/keys/rotate.js');
    const code = await run(ctx, { id, save: true, insecureStorage: false });
    expect(code).toBe(1);
    expect(io.stdout).toMatch(/^ba_\w{50}\n$/);
    expect(io.stderr).toContain(`the key ${id} "rot2" was rotated, but saving its new secret to the OS keychain failed: `);
    expect(io.stderr).toMatch(/no result found/);
    expect(io.stderr).toMatch(/will not be shown again: store it now, or revoke it with `acct keys revoke /);
    // The printed secret is the new one and works; the old one stopped (no grace).
    expect(await works(io.stdout.trim())).toBe(true);
    expect(await works(old)).toBe(false);
  });

  it('with --json the failed save still prints the whole answer, savedTo null', async () => {
    const { home } = await signedInHome();
    const { id } = await mintedKey(home, 'rot3');
    const io = fakeIO();
    const ctx = createContext({ host: server.url, json: true }, { io, env: home.env, secrets: { keychain: refusesWrites, file: new FileStore(home.configDir) } });
    const { run } = await import('../src/commands/keys/rotate.js');
    expect(await run(ctx, { id, save: true, insecureStorage: false })).toBe(1);
    const out = JSON.parse(io.stdout) as { id: string; key: string; savedTo: null };
    expect(out).toMatchObject({ id, savedTo: null });
    expect(await works(out.key)).toBe(true);
  });

  it('keys create --save finds out by writing a test entry, before minting: nothing minted, nothing lost, a clear error', async () => {
    const { home } = await signedInHome();
    const r = await acctInEmptyPasswordKeyring(['keys', 'create', '--name', 'kc', '--scope', 'user:read', '--save'], home);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/no OS keychain available \(.*no result found.*\)/);
    expect(r.stderr).toMatch(/--insecure-storage/);
    // No active key was left behind that nobody has the secret of.
    expect(await keyNames(home)).not.toContain('kc');
  });

  it('with --insecure-storage the same keyring state falls back to the 0600 file and the key works', async () => {
    const { home, user } = await signedInHome();
    const r = await acctInEmptyPasswordKeyring(['keys', 'create', '--name', 'kc', '--scope', 'user:read', '--save', '--insecure-storage'], home);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ba_\w+\n$/);
    expect(fs.statSync(path.join(home.configDir, 'tokens.json')).mode & 0o777).toBe(0o600);
    const me = await acct(['whoami'], home.env);
    expect(me.stdout).toBe(`${user.email}\n`);
  });

  it('when saving still fails after minting, the key is printed on stdout, with a clear message and a non-zero exit', async () => {
    const { home } = await signedInHome();
    const io = fakeIO();
    const ctx = createContext({ host: server.url }, { io, env: home.env, secrets: { keychain: refusesWrites, file: new FileStore(home.configDir) } });
    const { run } = await import('../src/commands/keys/create.js');
    const code = await run(ctx, { name: 'kc', scopes: ['user:read'], save: true, insecureStorage: false });
    expect(code).not.toBe(0);
    expect(io.stdout).toMatch(/^ba_\w{50}\n$/);
    expect(io.stderr).toMatch(/was created, but saving it to the OS keychain failed: .*no result found/);
    expect(io.stderr).toMatch(/will not be shown again/);
    // The printed key is the one that was minted, and it works.
    const me = await acct(['call', '/api/user/me'], tempHome({ ACCT_HOST: server.url, ACCT_TOKEN: io.stdout.trim() }).env);
    expect(me.code, me.stderr).toBe(0);
  });
});
