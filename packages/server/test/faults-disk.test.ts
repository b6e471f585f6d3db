// test-dialects: sqlite — a full disk under SQLite's own file; its DATABASE_URL is SQLite whatever the pass
/**
 * A full disk under SQLite (docs/operations.md "Disk full"): the data dir is a small tmpfs the test
 * fills. Wanted: writes answer 503 UNAVAILABLE with a clear message (never a 500 that hides the
 * cause), the log names the directory, /readyz reports it, nothing acknowledged is lost, and
 * writes work again as soon as space is freed, without a restart.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { call, newUser, startServer } from './harness.js';
import { expectEnvelope, expectNoServerErrors } from './support.js';

const cleanups: (() => Promise<unknown> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => {});
});

/** A 4 MiB tmpfs (we run as root in CI and in the sandbox; mounting is the point of the test). */
function smallDisk(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acct-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m,mode=0700', 'tmpfs', dir]);
  cleanups.push(() => {
    execFileSync('umount', ['-l', dir]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/** Writes filler until the file system refuses: ENOSPC. */
function fill(dir: string): string {
  const filler = path.join(dir, 'filler');
  const fd = fs.openSync(filler, 'w');
  const chunk = Buffer.alloc(16 * 1024, 1);
  try {
    for (;;) fs.writeSync(fd, chunk);
  } catch (err) {
    expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC');
  } finally {
    fs.closeSync(fd);
  }
  return filler;
}

describe('SQLite on a full disk', () => {
  it('answers 503 with a clear message, logs the directory, reports it on /readyz, and recovers once space is freed', async () => {
    const disk = smallDisk();
    // SQLite whatever the suite's dialect: this is SQLite's disk.
    const server = await startServer({ DATABASE_URL: `file:${path.join(disk, 'acct.db')}`, ACCT_RATE_LIMITS: 'off' }, disk);
    cleanups.push(() => server.stop('SIGKILL'));
    const user = await newUser(server.url, 'full-disk');
    const createKey = (n: number) => call(server.url, 'POST', '/api/auth/api-key/create', { cookie: user.cookie, body: { name: `key ${n} ${'x'.repeat(60)}`, scopes: ['user:read'] } });

    const filler = fill(disk);
    const acknowledged: string[] = [];
    let refused = null;
    for (let n = 0; n < 400 && !refused; n++) {
      const res = await createKey(n);
      if (res.status === 200) acknowledged.push(res.body.data.key);
      else refused = res;
    }
    expect(refused, 'a write was refused once the disk was full').not.toBeNull();
    expectEnvelope(refused!, 503, 'UNAVAILABLE');
    expect(refused!.body.message).toMatch(/out of disk space/);
    expect(refused!.text).not.toContain(disk);
    // Reads go on; readiness says why writes do not.
    expectEnvelope(await call(server.url, 'GET', '/api/user/me', { cookie: user.cookie }), 200, 'OK');
    const ready = await call(server.url, 'GET', '/readyz');
    expectEnvelope(ready, 503, 'UNAVAILABLE');
    expect(ready.body.message).toMatch(/disk .*full/);
    expect(server.output()).toContain(`disk full: the database cannot write to ${disk}`);

    fs.rmSync(filler);
    expectEnvelope(await call(server.url, 'GET', '/readyz'), 200, 'OK');
    const after = await createKey(1000);
    expectEnvelope(after, 200, 'OK');
    for (const key of [...acknowledged, after.body.data.key]) expect((await call(server.url, 'GET', '/api/user/me', { apiKey: key })).status).toBe(200);
    expectNoServerErrors(server);
  });
});
