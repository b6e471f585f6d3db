// The order scripts/test starts test files in: longest first, across both database passes, so the
// two workers finish together instead of one waiting for a long file started last. Durations come
// from vitest's cache of the previous run on this machine, else from scripts/test-durations.json
// (a committed snapshot; CI runs in a fresh clone without a cache); files known to neither start
// after the known ones, larger files first.
// The order changes only when files start, never what runs: a stale snapshot costs time, not tests.
import fs from 'node:fs';
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

export default class LongestFirstSequencer extends BaseSequencer {
  async sort(files) {
    const known = snapshot();
    const estimate = (spec) => {
      const cached = this.ctx.cache.getTestSpecificationResult(spec);
      if (cached && typeof cached.duration === 'number' && cached.duration > 0) return cached.duration;
      const file = path.relative(ROOT, spec.moduleId).split(path.sep).join('/');
      return known[spec.project.name]?.[file] ?? 0;
    };
    const size = (spec) => {
      try {
        return fs.statSync(spec.moduleId).size;
      } catch {
        return 0;
      }
    };
    const estimates = new Map(files.map((spec) => [spec, estimate(spec)]));
    const sizes = new Map(files.map((spec) => [spec, size(spec)]));
    // Unknown files (0) go last among themselves by size, larger first, as vitest's own order does.
    return [...files].sort(
      (a, b) => estimates.get(b) - estimates.get(a) || sizes.get(b) - sizes.get(a) || a.moduleId.localeCompare(b.moduleId) || a.project.name.localeCompare(b.project.name),
    );
  }
}

// `node scripts/test-sequencer.mjs --update` refreshes the snapshot from the last scripts/test run
// (.test-results/summary.json), rounded to seconds so small drifts do not churn the file.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url) && process.argv[2] === '--update') {
  const summary = JSON.parse(fs.readFileSync(path.join(ROOT, '.test-results/summary.json'), 'utf8'));
  const out = {};
  for (const [pass, p] of Object.entries(summary.passes)) {
    out[pass] = Object.fromEntries(Object.entries(p.durations).sort(([a], [b]) => a.localeCompare(b)).map(([file, ms]) => [file, Math.round(ms / 1000) * 1000]));
  }
  fs.writeFileSync(SNAPSHOT, `${JSON.stringify(out, null, 2)}\n`);
  console.log(`wrote ${path.relative(ROOT, SNAPSHOT)}`);
}
