// test-dialects: sqlite — a pure function in process (time/clock.ts); no server, no database
// iso() stamps every row's times and remembers the last instant it wrote: it must give
// toISOString's text for any date, whichever Date object carries the instant, and fail as it does.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ROOT } from './harness.js';

const { iso } = (await import(pathToFileURL(path.join(ROOT, 'packages/server/dist/time/clock.js')).href)) as typeof import('../src/time/clock.js');

describe('iso', () => {
  it("gives toISOString's text, over instants far apart and instants in a row", () => {
    let ms = Date.UTC(1970, 0, 1);
    for (let i = 0; i < 5000; i++) {
      ms += i % 3 === 0 ? 0 : i % 7 === 0 ? 86_400_000 * 366 : 1;
      const date = new Date(ms);
      expect(iso(date)).toBe(date.toISOString());
    }
    for (const date of [new Date(-1), new Date(Date.UTC(-271821, 3, 20)), new Date(Date.UTC(275760, 8, 13)), new Date(Date.UTC(999, 11, 31, 23, 59, 59, 999))]) {
      expect(iso(date)).toBe(date.toISOString());
    }
  });

  it('follows a Date whose time changed since the last call, and alternating instants', () => {
    const date = new Date(Date.UTC(2026, 11, 5, 2, 30));
    expect(iso(date)).toBe('2026-12-05T02:30:00.000Z');
    date.setTime(date.getTime() + 1);
    expect(iso(date)).toBe('2026-12-05T02:30:00.001Z');
    const a = new Date(Date.UTC(2030, 0, 1));
    const b = new Date(Date.UTC(2031, 0, 1));
    for (let i = 0; i < 4; i++) {
      expect(iso(a)).toBe('2030-01-01T00:00:00.000Z');
      expect(iso(b)).toBe('2031-01-01T00:00:00.000Z');
    }
  });

  it('throws RangeError for an invalid date, as toISOString does, and still answers after it', () => {
    const valid = new Date(Date.UTC(2026, 0, 1));
    expect(iso(valid)).toBe('2026-01-01T00:00:00.000Z');
    expect(() => iso(new Date(Number.NaN))).toThrow(RangeError);
    expect(() => iso(new Date(Number.NaN))).toThrow(RangeError);
    expect(iso(valid)).toBe('2026-01-01T00:00:00.000Z');
  });
});
