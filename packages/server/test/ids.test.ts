// test-dialects: sqlite — a pure function in process (ids); no server, no database
// ULIDs (db/ids.ts): every row id, and the audit log's order (its prune cuts by the time prefix).
// The random part comes from a pool refilled 4 KiB at a time, so these tests draw far more ids
// than one pool holds.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ROOT } from './harness.js';

const { ulid, ulidTimePrefix } = (await import(pathToFileURL(path.join(ROOT, 'packages/server/dist/db/ids.js')).href)) as typeof import('../src/db/ids.js');

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const SHAPE = /^[0-9A-HJKMNP-TV-Z]{26}$/;

describe('ulid', () => {
  it('is 26 Crockford base-32 characters that start with the time', () => {
    const at = Date.UTC(2030, 0, 1);
    for (let i = 0; i < 2000; i++) {
      const id = ulid(at + i);
      expect(id).toMatch(SHAPE);
      expect(id.slice(0, 10)).toBe(ulidTimePrefix(at + i));
    }
  });

  it('increases strictly, within a millisecond and across them, and never repeats', () => {
    const start = Date.UTC(2031, 0, 1);
    const ids: string[] = [];
    // 100 ids per millisecond, and a clock that steps back (an id is never older than the last one).
    for (let i = 0; i < 50_000; i++) ids.push(ulid(start + Math.floor(i / 100) - (i % 7 === 0 ? 5 : 0)));
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!, `${ids[i - 1]} then ${ids[i]}`).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('draws every random digit evenly (no digit favoured by the byte-to-digit mapping)', () => {
    const counts = new Array<number>(32).fill(0);
    const start = Date.UTC(2032, 0, 1);
    const n = 40_000;
    // A new millisecond each time: 16 fresh random digits per id (the first keeps its top bit clear).
    for (let i = 0; i < n; i++) for (const c of ulid(start + i).slice(11)) counts[CROCKFORD.indexOf(c)]!++;
    const expected = (n * 15) / 32;
    for (const count of counts) expect(Math.abs(count - expected) / expected).toBeLessThan(0.05);
  });

  it('orders ids made before a time below its prefix, and ids made at or after it above', () => {
    const at = Date.UTC(2033, 0, 1);
    const cutoff = ulidTimePrefix(at);
    expect(ulid(at - 1) < cutoff).toBe(true);
    expect(ulid(at) > cutoff).toBe(true);
  });
});
