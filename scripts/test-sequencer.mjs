// The order scripts/test starts test files in, across both database passes. Five workers share
// two cores (vitest.config.ts) and the longest files mostly wait (device-flow polls, cache
// max-ages, Chromium): started together, longest first, they held every worker while the cores
// were half idle. So the order is planned against both resources: each file's wall time and CPU
// (its worker's and its children's: servers, CLIs, browsers) from the last run, and at each start
// the plan takes
//   - a file that must start now to end with the run (its wall time reaches past 60 % of the
//     run's estimated length, an estimate that runs short), longest first; else
//   - the longest file dense enough to fill the cores the running files leave idle (CPU per
//     second ≥ idle cores ÷ free workers); else the densest.
// Durations come from vitest's cache of the previous run on this machine, else from
// scripts/test-durations.json (a committed snapshot; CI runs in a fresh clone without a cache),
// CPU from the snapshot; a file known to neither starts after the known ones, larger files first.
// The order changes only when files start, never what runs: a stale snapshot costs time, not tests.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BaseSequencer } from 'vitest/node';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SNAPSHOT = path.join(ROOT, 'scripts/test-durations.json');

function snapshot() {
  try {
    return JSON.parse(fs.readFileSync(SNAPSHOT, 'utf8'));
  } catch {
    return {};
  }
}

/**
 * A file whose wall time reaches past this share of the run's estimated length starts at once.
 * The estimate (CPU ÷ cores, wall ÷ workers) leaves out each file's start-up, so it is short: the
 * last run took ~1.4× it, and the longest file ran longest when started late under load.
 */
const URGENT = 0.6;

/** A file of unknown CPU is taken to keep half a core busy. */
const UNKNOWN_DENSITY = 0.5;

/**
 * The start order of `files` ({ key, wall, cpu } in ms; cpu may be null) on `workers` workers
 * sharing `cores` cores: a simulation of the run (a file holds its worker for its wall time and
 * keeps cpu ÷ wall cores busy) that picks, whenever a worker is free, by the rules above.
 * Files of unknown wall time (0) come last, in the order given.
 */
export function plan(files, workers, cores) {
  const density = (f) => (f.cpu != null && f.wall > 0 ? Math.min(cores, f.cpu / f.wall) : UNKNOWN_DENSITY);
  const known = files.filter((f) => f.wall > 0).sort((a, b) => b.wall - a.wall);
  const unknown = files.filter((f) => !(f.wall > 0));
  const totalCpu = known.reduce((sum, f) => sum + f.wall * density(f), 0);
  const length = Math.max(totalCpu / cores, known.reduce((sum, f) => sum + f.wall, 0) / workers, known[0]?.wall ?? 0);
  const order = [];
  const running = []; // { end, density }
  let now = 0;
  while (known.length > 0) {
    if (running.length >= workers) {
      running.sort((a, b) => a.end - b.end);
      now = running.shift().end;
    }
    const busy = running.reduce((sum, r) => sum + r.density, 0);
    const wanted = Math.max(0, cores - busy) / (workers - running.length);
    let i = known.findIndex((f) => now + f.wall >= URGENT * length);
    if (i < 0) i = known.findIndex((f) => density(f) >= wanted);
    if (i < 0) i = known.reduce((best, f, j) => (density(f) > density(known[best]) ? j : best), 0);
    const [f] = known.splice(i, 1);
    order.push(f);
    running.push({ end: now + f.wall, density: density(f) });
  }
  return [...order, ...unknown];
}

export default class PlannedSequencer extends BaseSequencer {
  async sort(files) {
    const known = snapshot();
    const relative = (spec) => path.relative(ROOT, spec.moduleId).split(path.sep).join('/');
    const wall = (spec) => {
      const cached = this.ctx.cache.getTestSpecificationResult(spec);
      if (cached && typeof cached.duration === 'number' && cached.duration > 0) return cached.duration;
      return known[spec.project.name]?.[relative(spec)] ?? 0;
    };
    const size = (spec) => {
      try {
        return fs.statSync(spec.moduleId).size;
      } catch {
        return 0;
      }
    };
    // Unknown files go last among themselves by size, larger first, as vitest's own order does.
    const items = [...files]
      .sort((a, b) => size(b) - size(a) || a.moduleId.localeCompare(b.moduleId) || a.project.name.localeCompare(b.project.name))
      .map((spec) => ({ spec, wall: wall(spec), cpu: known.cpu?.[spec.project.name]?.[relative(spec)] ?? null }));
    const workers = Number(this.ctx.config.maxWorkers) || 1;
    return plan(items, workers, os.availableParallelism()).map((f) => f.spec);
  }
}

// `node scripts/test-sequencer.mjs --update` refreshes the snapshot from the last scripts/test run
// (.test-results/summary.json): wall time per file and pass, and CPU under `cpu`, rounded to
// 100 ms so small drifts do not churn the file.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url) && process.argv[2] === '--update') {
  const summary = JSON.parse(fs.readFileSync(path.join(ROOT, '.test-results/summary.json'), 'utf8'));
  const round = (entries) => Object.fromEntries(Object.entries(entries ?? {}).sort(([a], [b]) => a.localeCompare(b)).map(([file, ms]) => [file, Math.round(ms / 100) * 100]));
  const out = { cpu: {} };
  for (const [pass, p] of Object.entries(summary.passes)) {
    out[pass] = round(p.durations);
    out.cpu[pass] = round(p.cpu);
  }
  fs.writeFileSync(SNAPSHOT, `${JSON.stringify(out, null, 2)}\n`);
  console.log(`wrote ${path.relative(ROOT, SNAPSHOT)}`);
}
