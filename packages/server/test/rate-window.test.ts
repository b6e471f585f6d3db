// test-dialects: sqlite — pure functions in process (rate-limit windows); no server, no database
// The arithmetic of rate-limit windows and headers (middleware/rate-limit/window.ts), in
// process: pure functions of `now`, so window edges are checked exactly, without a server or a
// clock to move.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ROOT } from './harness.js';

const { windowOf, retryAfterSeconds, tighter, rateLimitHeaders } = (await import(
  pathToFileURL(path.join(ROOT, 'packages/server/dist/rate-limit/window.js')).href
)) as typeof import('../src/rate-limit/window.js');

const MINUTE = 60_000;
const T = Date.UTC(2026, 11, 2, 12, 0, 0); // a whole minute

describe('fixed windows', () => {
  it('aligns windows to multiples of their length since the epoch', () => {
    expect(windowOf(T, MINUTE)).toEqual({ start: T, end: T + MINUTE });
    expect(windowOf(T + 59_999, MINUTE)).toEqual({ start: T, end: T + MINUTE });
    expect(windowOf(0, 1000)).toEqual({ start: 0, end: 1000 });
    expect(windowOf(3_599_999, 3_600_000)).toEqual({ start: 0, end: 3_600_000 });
  });

  it('starts a new window exactly at the edge, not a millisecond later', () => {
    expect(windowOf(T + MINUTE, MINUTE)).toEqual({ start: T + MINUTE, end: T + 2 * MINUTE });
    expect(windowOf(T - 1, MINUTE)).toEqual({ start: T - MINUTE, end: T });
  });

  it('gives every instant of one window the same start, whatever the window length', () => {
    for (const windowMs of [1000, 15_000, MINUTE, 3_600_000, 86_400_000]) {
      const { start, end } = windowOf(T + 12_345, windowMs);
      expect(start % windowMs).toBe(0);
      expect(end - start).toBe(windowMs);
      expect(start <= T + 12_345 && T + 12_345 < end).toBe(true);
      expect(windowOf(start, windowMs)).toEqual({ start, end });
      expect(windowOf(end - 1, windowMs)).toEqual({ start, end });
    }
  });
});

describe('Retry-After', () => {
  it('rounds up to whole seconds', () => {
    expect(retryAfterSeconds(T + 1500, T)).toBe(2);
    expect(retryAfterSeconds(T + 2000, T)).toBe(2);
    expect(retryAfterSeconds(T + 2001, T)).toBe(3);
    expect(retryAfterSeconds(T + 300_000, T)).toBe(300);
  });

  it('is never below one second, even at or after the reset', () => {
    expect(retryAfterSeconds(T + 1, T)).toBe(1);
    expect(retryAfterSeconds(T, T)).toBe(1);
    expect(retryAfterSeconds(T - 5000, T)).toBe(1);
  });
});

describe('the tighter of two limits', () => {
  const a = { limit: 100, remaining: 10, resetMs: T + 30_000 };
  const b = { limit: 5, remaining: 3, resetMs: T + 10_000 };

  it('takes the one with fewer requests left', () => {
    expect(tighter(a, b)).toBe(b);
    expect(tighter(b, a)).toBe(b);
  });

  it('on equal requests left, takes the later reset', () => {
    const later = { limit: 50, remaining: 3, resetMs: T + 40_000 };
    expect(tighter(b, later)).toBe(later);
    expect(tighter(later, b)).toBe(later);
  });

  it('takes the only one when there is no other yet', () => {
    expect(tighter(undefined, a)).toBe(a);
  });
});

describe('X-RateLimit headers', () => {
  it('shows the limit, what is left and the reset in Unix seconds (rounded up)', () => {
    expect(rateLimitHeaders({ limit: 60, remaining: 59, resetMs: T + MINUTE })).toEqual({
      'X-RateLimit-Limit': '60', 'X-RateLimit-Remaining': '59', 'X-RateLimit-Reset': String((T + MINUTE) / 1000),
    });
    expect(rateLimitHeaders({ limit: 60, remaining: 0, resetMs: T + 1 })['X-RateLimit-Reset']).toBe(String(T / 1000 + 1));
  });

  it('never shows a negative remainder (a refused request counts past the limit)', () => {
    expect(rateLimitHeaders({ limit: 5, remaining: -3, resetMs: T })['X-RateLimit-Remaining']).toBe('0');
  });
});
