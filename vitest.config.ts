import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { filesFor, selectedDialects } from './scripts/test-dialects.mjs';
import PlannedSequencer from './scripts/test-sequencer.mjs';

const ROOT = path.dirname(fileURLToPath(import.meta.url));

// One vitest project per database pass (scripts/test runs both, SQLite and PostgreSQL, in one
// run so the two cores stay busy to the end); `pnpm exec vitest run <file>` runs SQLite alone,
// ACCT_TEST_DATABASE=postgres PostgreSQL alone. A file runs in both passes unless its header
// limits it (scripts/test-dialects.mjs). Each test file starts its own real server(s); the start
// order is planned from each file's wall time and CPU in the last run (scripts/test-sequencer.mjs).
//
// Five workers on CI's two cores: a test file mostly waits (for its servers, PostgreSQL, Redis,
// Chromium, a timer), so two workers left the cores a third idle (329 s for the suite on the
// 2-core AMD machine; 4 workers 254 s). The longest files wait the most (device-flow polls, cache
// max-ages, Chromium): with 4 workers they held every worker at the start while the cores were
// half idle (223 s); 5 workers 209–226 s; 6 workers 235 s (more CPU lost to contention, earlier
// Redis timeouts). Five workers with the planned order (waiting files beside busy ones): 199–200 s
// (224–234 s an hour later, the machine slower for the same work).
// Files of a worker share its module graph (isolate: false): each file imported harness, pg,
// vitest's runner and the rest again in a fresh process, ~30 s of CPU per run (254 → 238 s).
// Every file starts its own servers and keeps its state in its own module, so nothing it
// asserts depends on another file; ACCT_TEST_ISOLATE=1 runs each file alone in a fresh process.
export default defineConfig({
  test: {
    pool: 'forks',
    // Each file's CPU, for the sequencer's order (scripts/test-file-cpu.mjs).
    setupFiles: ['./scripts/test-file-cpu.mjs'],
    isolate: process.env['ACCT_TEST_ISOLATE'] === '1',
    // ACCT_TEST_WORKERS tries another pool size (each worker drives its own server processes).
    maxWorkers: Number(process.env['ACCT_TEST_WORKERS']) || 5,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    sequence: { sequencer: PlannedSequencer },
    projects: selectedDialects(process.env).map((dialect) => ({
      extends: true,
      test: {
        name: dialect,
        include: filesFor(ROOT, dialect),
        env: { ACCT_TEST_DATABASE: dialect },
      },
    })),
  },
});
