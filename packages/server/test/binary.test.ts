// The single executable (dist/acct-server, issue 7): copied alone into an empty directory, it
// starts with the same env as scripts/server and serves the Quick Start flow, with its native
// addons (better-sqlite3, argon2) loaded from inside the binary and nothing left in the temp dir.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, email, newKey, PASSWORD, ROOT, SERVER_FLAGS, SERVER_MAIN, signIn, TEST_DIALECT } from './harness.js';

const BINARY = path.join(ROOT, 'dist/acct-server');
const PG_ADMIN_URL = process.env['ACCT_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Newest mtime under a directory (files only). */
function newest(dir: string): number {
  let max = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) max = Math.max(max, fs.statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
  }
  return max;
}

/** Builds dist/acct-server when it is missing or older than the code it is made from. */
function ensureBinary(): void {
  const sources = [path.join(ROOT, 'packages/server/dist'), path.join(ROOT, 'packages/shared/dist'), path.join(ROOT, 'scripts/binary')];
  if (fs.existsSync(BINARY) && fs.statSync(BINARY).mtimeMs >= Math.max(...sources.map(newest))) return;
  execFileSync(path.join(ROOT, 'scripts/build-binary'), [], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], timeout: 300_000 });
}

let scratch: string;
let binary: string;
let tmpDir: string;
let env: Record<string, string>;
let databaseUrl: string | null = null;
let child: ChildProcess | null = null;
let output = '';

/** Runs the copied binary with a subcommand; returns exit code and output. */
function run(args: string[]): { status: number | null; out: string } {
  const r = spawnSync(binary, args, { cwd: scratch, env, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

beforeAll(async () => {
  ensureBinary();
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'acct-binary-'));
  binary = path.join(scratch, 'acct-server');
  fs.copyFileSync(BINARY, binary);
  fs.chmodSync(binary, 0o755);
  // The binary's own temp dir, to see that the extracted addons do not outlive loading.
  tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'acct-binary-tmp-'));
  if (TEST_DIALECT === 'postgres') {
    const name = `acct_test_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`).finally(() => admin.end());
    const url = new URL(PG_ADMIN_URL);
    url.pathname = `/${name}`;
    databaseUrl = url.toString();
  }
  env = {
    PATH: '/usr/bin:/bin', HOME: scratch, TMPDIR: tmpDir, PORT: '0', HOST: '127.0.0.1', ACCT_DATA_DIR: path.join(scratch, 'data'), LOG_LEVEL: 'warn',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  };
}, 330_000);

afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  if (databaseUrl) {
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${new URL(databaseUrl).pathname.slice(1)} WITH (FORCE)`).finally(() => admin.end());
  }
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
  if (tmpDir) fs.rmSync(tmpDir, { recursive: true, force: true });
});

describe('dist/acct-server, alone in an empty directory', () => {
  it('is one file that is not a script', () => {
    expect(fs.readdirSync(scratch)).toEqual(['acct-server']);
    const head = Buffer.alloc(4);
    const fd = fs.openSync(binary, 'r');
    fs.readSync(fd, head, 0, 4, 0);
    fs.closeSync(fd);
    expect(head.toString('latin1')).toBe('\x7fELF');
  });

  it('--version prints what the built server prints', () => {
    const fromNode = execFileSync(process.execPath, [SERVER_MAIN, '--version'], { encoding: 'utf8' }).trim();
    const r = run(['--version']);
    expect(r.status).toBe(0);
    expect(r.out.trim()).toBe(fromNode);
    expect(fromNode).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('migrate applies the migrations to a fresh database', () => {
    const r = run(['migrate']);
    expect(r.out).toMatch(/applied 0001_initial/);
    expect(r.status).toBe(0);
    expect(fs.readdirSync(tmpDir)).toEqual([]);
  });

  it('serves sign-up, sign-in, key creation and /api/user/me', async () => {
    child = spawn(binary, [], { cwd: scratch, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`binary did not start:\n${output}`)), 20_000);
      child!.stdout!.on('data', () => {
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)\n/.exec(output);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      child!.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`binary exited with ${code}:\n${output}`));
      });
    });

    const address = email('binary');
    const up = await call(url, 'POST', '/api/auth/sign-up/email', { body: { email: address, password: PASSWORD, name: 'Binary User' } });
    expect(up.status, up.text).toBe(201);
    // Argon2 through the embedded addon: the right password signs in, a wrong one does not.
    const wrong = await call(url, 'POST', '/api/auth/sign-in/email', { body: { email: address, password: `${PASSWORD}-not` } });
    expect(wrong.status).toBe(401);
    expect(wrong.body.code).toBe('INVALID_CREDENTIALS');
    const cookie = await signIn(url, address, PASSWORD);
    const { key } = await newKey(url, cookie, ['user:read']);
    const me = await call(url, 'GET', '/api/user/me', { apiKey: key });
    expect(me.status, me.text).toBe(200);
    expect(me.body.data.email).toBe(address);
    const bad = await call(url, 'GET', '/api/user/me', { apiKey: `${key.slice(0, -8)}AAAAAAAA` });
    expect(bad.status).toBe(401);

    if (!databaseUrl) expect(fs.existsSync(path.join(scratch, 'data', 'acct.db'))).toBe(true);
    // The addons were extracted, loaded and removed again.
    expect(fs.readdirSync(tmpDir)).toEqual([]);
    expect(fs.readdirSync(scratch).sort()).toEqual(['acct-server', 'data']);
  });

  it('doctor checks the same data dir and database', () => {
    const r = run(['doctor']);
    // The binary carries scripts/server's Node flags (packages/server/node-flags) as its execArgv.
    expect(r.out).toContain(`✓ runtime     node ${process.version}, ${SERVER_FLAGS.join(' ')}`);
    expect(r.out).toMatch(/database/);
    expect(r.out).toMatch(/migrations\s+up to date/);
    expect(r.status).toBe(0);
  });

  it('backup copies the live SQLite database (and points PostgreSQL to pg_dump)', () => {
    // Inside the scratch dir (removed after the file): reading the copy makes -wal/-shm beside it.
    const target = path.join(scratch, 'backups', 'acct.db');
    fs.mkdirSync(path.dirname(target));
    try {
      const r = run(['backup', target]);
      if (databaseUrl) {
        expect(r.status).toBe(2);
        expect(r.out).toMatch(/pg_dump/);
        expect(fs.existsSync(target)).toBe(false);
        return;
      }
      expect(r.status, r.out).toBe(0);
      // Read the copy with the repo's better-sqlite3: it holds the user signed up above.
      const rows = execFileSync(process.execPath, ['-e', `
        const D = require(${JSON.stringify(path.join(ROOT, 'packages/server/node_modules/better-sqlite3'))});
        const db = new D(process.argv[1], { readonly: true });
        console.log(db.prepare('select count(*) as n from users').get().n);
      `, target], { encoding: 'utf8' });
      expect(Number(rows.trim())).toBe(1);
    } finally {
      fs.rmSync(path.dirname(target), { recursive: true, force: true });
    }
  });

  it('drains and exits 0 on SIGTERM', async () => {
    expect(child).not.toBeNull();
    const code = await new Promise<number | null>((resolve) => {
      child!.once('exit', (c) => resolve(c));
      child!.kill('SIGTERM');
    });
    expect(code, output).toBe(0);
  });
});
