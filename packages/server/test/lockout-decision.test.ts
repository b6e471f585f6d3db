// The sign-in lockout's decision (auth/lockout.ts `decide`), in process: a pure function of the
// scopes' counters and `now`, so its rules are checked here without a server.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ROOT } from './harness.js';

const { decide } = (await import(pathToFileURL(path.join(ROOT, 'packages/server/dist/auth/lockout.js')).href)) as typeof import('../src/auth/lockout.js');

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
});
