// test-dialects: sqlite — a pure function in process (scripts/test-sequencer.mjs plan); no server, no database
//
// The order the suite starts its files in (scripts/test-sequencer.mjs): planned against the
// workers and the cores, so files that mostly wait do not all start together while the cores idle,
// a file long enough to outlast the run starts at once, and every file is started exactly once.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ROOT } from './harness.js';

type Item = { key: string; wall: number; cpu: number | null };
const { plan } = (await import(pathToFileURL(path.join(ROOT, 'scripts/test-sequencer.mjs')).href)) as {
  plan(files: Item[], workers: number, cores: number): Item[];
};

const keys = (items: Item[]) => items.map((f) => f.key);
/** A file that mostly waits (a tenth of a core) and one that keeps a core busy. */
const waiting = (key: string, wall: number): Item => ({ key, wall, cpu: wall / 10 });
const busy = (key: string, wall: number): Item => ({ key, wall, cpu: wall });

describe('plan', () => {
  it('starts files that keep the cores busy beside files that wait, not every waiting file at once', () => {
    const files = [waiting('w1', 20), waiting('w2', 20), waiting('w3', 20), waiting('w4', 20), ...Array.from({ length: 12 }, (_, i) => busy(`b${i}`, 18 - i))];
    const order = keys(plan(files, 4, 2));
    // Longest first would start w1–w4 together: four workers, 0.4 of two cores busy.
    expect(order.slice(0, 4)).toEqual(['b0', 'b1', 'w1', 'w2']);
    expect(order.slice(0, 4).filter((k) => k.startsWith('w')).length).toBeLessThanOrEqual(2);
    expect(order.slice(0, 4).filter((k) => k.startsWith('b')).length).toBeGreaterThanOrEqual(2);
  });

  it('starts at once a file long enough to outlast the run, however little CPU it needs', () => {
    const files = [waiting('long', 100), ...Array.from({ length: 12 }, (_, i) => busy(`b${i}`, 10))];
    expect(keys(plan(files, 4, 2))[0]).toBe('long');
  });

  it('puts files of unknown duration last in the order given, and loses or repeats none', () => {
    const files: Item[] = [{ key: 'new-a', wall: 0, cpu: null }, busy('b1', 5), waiting('w1', 8), { key: 'new-b', wall: 0, cpu: null }, { key: 'no-cpu', wall: 6, cpu: null }];
    const order = keys(plan(files, 2, 2));
    expect(order.slice(-2)).toEqual(['new-a', 'new-b']);
    expect([...order].sort()).toEqual(['b1', 'new-a', 'new-b', 'no-cpu', 'w1']);
  });

  it('on one worker is longest first (there is nothing to mix)', () => {
    const files = [busy('short', 1), waiting('long', 9), busy('mid', 5)];
    expect(keys(plan(files, 1, 2))).toEqual(['long', 'mid', 'short']);
  });
});
