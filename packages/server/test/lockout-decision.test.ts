// test-dialects: sqlite — pure functions in process (the lockout decision); no server, no database
// The sign-in lockout's decision (auth/lockout.ts `decide`), in process: a pure function of the
// scopes' counters and `now`, so its rules are checked here without a server.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ROOT } from './harness.js';

const { decide, delayAfter } = (await import(pathToFileURL(path.join(ROOT, 'packages/server/dist/auth/lockout.js')).href)) as typeof import('../src/auth/lockout.js');

const perIp = { freeFailures: 5, delaySeconds: 300, maxDelaySeconds: 3600 };
const perAccount = { freeFailures: 20, delaySeconds: 2, maxDelaySeconds: 900 };
const scopes = [
  { name: 'ip' as const, field: '1.2.3.4|', policy: perIp, blockAt: null },
  { name: 'account' as const, field: '', policy: perAccount, blockAt: 100 },
];
const NOW = 1_000_000_000;

describe('the lockout decision', () => {
  it('lets an attempt through below the free failures, even when the last failure is later than its now', () => {
    // Parallel attempts: this one read `now`, waited on a row lock, and meanwhile another one
    // failed. Four failures are still free, so nothing waits.
    expect(decide(scopes, [{ count: 4, lastAt: NOW + 800 }, { count: 4, lastAt: NOW + 800 }], NOW)).toEqual({ allowed: true });
  });

  it('makes the fifth failure from one address wait 300 s from that failure, then doubles up to an hour', () => {
    expect(decide(scopes, [{ count: 5, lastAt: NOW }, { count: 5, lastAt: NOW }], NOW + 1000)).toEqual({ allowed: false, reason: 'ip', retryAtMs: NOW + 300_000, limit: 5 });
    expect(decide(scopes, [{ count: 5, lastAt: NOW }, { count: 5, lastAt: NOW }], NOW + 300_000)).toEqual({ allowed: true });
    expect(decide(scopes, [{ count: 7, lastAt: NOW }, { count: 7, lastAt: NOW }], NOW)).toMatchObject({ retryAtMs: NOW + 1_200_000 });
    expect(decide(scopes, [{ count: 30, lastAt: NOW }, { count: 30, lastAt: NOW }], NOW)).toMatchObject({ retryAtMs: NOW + 3_600_000 });
  });

  it('slows the whole account after 20 failures anywhere, and blocks it at 100 until a reset', () => {
    expect(decide(scopes, [{ count: 0, lastAt: 0 }, { count: 21, lastAt: NOW }], NOW + 1000)).toEqual({ allowed: false, reason: 'account', retryAtMs: NOW + 4000, limit: 20 });
    expect(decide(scopes, [{ count: 0, lastAt: 0 }, { count: 100, lastAt: 0 }], NOW)).toEqual({ allowed: false, reason: 'blocked' });
  });

  it('names the device when a known device\'s own counter makes it wait', () => {
    const device = { name: 'device' as const, field: 'd1|', policy: { freeFailures: 5, delaySeconds: 60, maxDelaySeconds: 3600 }, blockAt: null };
    expect(decide([device, scopes[1]!], [{ count: 2, lastAt: NOW }, { count: 2, lastAt: NOW }], NOW)).toEqual({ allowed: true });
    expect(decide([device, scopes[1]!], [{ count: 5, lastAt: NOW }, { count: 5, lastAt: NOW }], NOW + 1000)).toEqual({ allowed: false, reason: 'device', retryAtMs: NOW + 60_000, limit: 5 });
  });

  it('lets the scope that waits longest decide, the first one on a tie', () => {
    // ip: 5 failures → 300 s; account: 21 failures → 4 s. The address waits longer.
    expect(decide(scopes, [{ count: 5, lastAt: NOW }, { count: 21, lastAt: NOW }], NOW)).toMatchObject({ reason: 'ip', retryAtMs: NOW + 300_000 });
    // The account's last failure is much later than the address's: it now waits longer.
    expect(decide(scopes, [{ count: 5, lastAt: NOW }, { count: 21, lastAt: NOW + 299_000 }], NOW + 299_500)).toMatchObject({ reason: 'account', retryAtMs: NOW + 303_000 });
    const same = { ...perIp };
    const twin = [{ ...scopes[0]!, policy: same }, { ...scopes[1]!, name: 'account' as const, policy: same, blockAt: null }];
    expect(decide(twin, [{ count: 6, lastAt: NOW }, { count: 6, lastAt: NOW }], NOW)).toMatchObject({ reason: 'ip' });
  });

  it('treats a scope without a counter as having no failures', () => {
    expect(decide(scopes, [], NOW)).toEqual({ allowed: true });
    expect(decide(scopes, [{ count: 5, lastAt: NOW }], NOW)).toMatchObject({ reason: 'ip' });
  });

  it('blocks at exactly the block count, not before', () => {
    expect(decide(scopes, [{ count: 0, lastAt: 0 }, { count: 99, lastAt: 0 }], NOW)).toEqual({ allowed: true });
    expect(decide(scopes, [{ count: 0, lastAt: 0 }, { count: 100, lastAt: NOW }], NOW + 10_000_000)).toEqual({ allowed: false, reason: 'blocked' });
  });
});

describe('the delay after failures', () => {
  it('is zero below the free failures, the base delay at them, and doubles per failure up to the cap', () => {
    expect([0, 1, 4].map((n) => delayAfter(n, perIp))).toEqual([0, 0, 0]);
    expect([5, 6, 7, 8, 9].map((n) => delayAfter(n, perIp))).toEqual([300, 600, 1200, 2400, 3600]);
    expect(delayAfter(1000, perIp)).toBe(3600);
    expect([19, 20, 21, 29].map((n) => delayAfter(n, perAccount))).toEqual([0, 2, 4, 900]);
  });
});
