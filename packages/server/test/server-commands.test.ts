import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { call, newUser, SERVER_MAIN, startServer, startSmtp, TEST_DIALECT, type RunningServer } from './harness.js';

function acctServer(args: string[], env: Record<string, string> = {}) {
  const res = spawnSync(process.execPath, [SERVER_MAIN, ...args], {
    env: { PATH: process.env['PATH'] ?? '', HOME: os.tmpdir(), ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

/** Like acctServer, without blocking this process (whose own SMTP catcher must keep answering). */
function acctServerAsync(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [SERVER_MAIN, ...args], { env: { PATH: process.env['PATH'] ?? '', HOME: os.tmpdir(), ...env } });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout }));
  });
}

const servers: RunningServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.stop();
});

describe('acct-server subcommands', () => {
  it('--version and --help answer without starting a server', () => {
    expect(acctServer(['--version'])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^\d+\.\d+\.\d+\n$/) });
    const help = acctServer(['--help']);
    expect(help.code).toBe(0);
    for (const word of ['migrate', 'backup', 'doctor']) expect(help.stdout).toContain(word);
  });

  it('an unknown subcommand is a usage error', () => {
    const res = acctServer(['frobnicate']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('unknown command');
  });

  it('migrate applies every migration once, then reports the database up to date', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acct-migrate-'));
    const first = acctServer(['migrate'], { ACCT_DATA_DIR: dir });
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/applied 0001_initial/);
    const second = acctServer(['migrate'], { ACCT_DATA_DIR: dir });
    expect(second.stdout).toMatch(/up to date/);
  });

  it('backup writes a consistent copy of a running SQLite server, readable on its own', async () => {
    const server = await startServer({ DATABASE_URL: '' });
    servers.push(server);
    const user = await newUser(server.url, 'backup');
    const target = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'acct-backup-')), 'copy.db');
    const res = acctServer(['backup', target], { ACCT_DATA_DIR: server.dataDir });
    expect(res.code, res.stderr).toBe(0);
    expect(fs.statSync(target).mode & 0o777).toBe(0o600);
    const copy = new Database(target, { readonly: true });
    const row = copy.prepare('SELECT email FROM users WHERE id = ?').get(user.id) as { email: string } | undefined;
    copy.close();
    expect(row?.email).toBe(user.email);
    // Refuses to overwrite, and needs a file name.
    expect(acctServer(['backup', target], { ACCT_DATA_DIR: server.dataDir }).code).toBe(1);
    expect(acctServer(['backup'], { ACCT_DATA_DIR: server.dataDir }).code).toBe(2);
  });

  it('doctor passes on a healthy setup and fails, naming the part, when SMTP is unreachable', async () => {
    const smtp = await startSmtp();
    try {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acct-doctor-'));
      const healthy = await acctServerAsync(['doctor'], { ACCT_DATA_DIR: dir, SMTP_URL: smtp.url, REDIS_URL: 'redis://127.0.0.1:6379' });
      expect(healthy.code, healthy.stdout).toBe(0);
      expect(healthy.stdout).toMatch(/✓ database/);
      expect(healthy.stdout).toMatch(/✓ smtp/);
      expect(healthy.stdout).toMatch(/✓ redis/);
      // Started as plain `node main.js`, without scripts/server's flags: a warning, not a failure.
      expect(healthy.stdout).toMatch(/! runtime {5}node v\d+\.\d+\.\d+ without the memory flags of packages\/server\/node-flags/);
      const broken = await acctServerAsync(['doctor'], { ACCT_DATA_DIR: dir, SMTP_URL: 'smtp://user:hunter2hunter2@127.0.0.1:1' });
      expect(broken.code).toBe(1);
      expect(broken.stdout).toMatch(/✗ smtp/);
      expect(broken.stdout).not.toContain('hunter2hunter2');
    } finally {
      await smtp.close();
    }
  });

  it('doctor fails when the database cannot be reached', () => {
    const res = acctServer(['doctor'], { ACCT_DATA_DIR: os.tmpdir(), DATABASE_URL: 'postgres://nobody:secretpass@127.0.0.1:1/none' });
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/✗ database/);
    expect(res.stdout).not.toContain('secretpass');
  });
});

describe('health and readiness', () => {
  it(`/healthz and /readyz answer on ${TEST_DIALECT}`, async () => {
    const server = await startServer();
    servers.push(server);
    const health = await call(server.url, 'GET', '/healthz');
    expect(health.status).toBe(200);
    expect(health.body.data.status).toBe('ok');
    const ready = await call(server.url, 'GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.data.status).toBe('ready');
  });
});
