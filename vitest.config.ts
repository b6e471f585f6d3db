import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { filesFor, selectedDialects } from './scripts/test-dialects.mjs';
import LongestFirstSequencer from './scripts/test-sequencer.mjs';

const ROOT = path.dirname(fileURLToPath(import.meta.url));

// One vitest project per database pass (scripts/test runs both, SQLite and PostgreSQL, in one
// run so the two cores stay busy to the end); `pnpm exec vitest run <file>` runs SQLite alone,
// ACCT_TEST_DATABASE=postgres PostgreSQL alone. A file runs in both passes unless its header
// limits it (scripts/test-dialects.mjs). Each test file starts its own real server(s); two
// workers match CI's two cores; the longest files start first (scripts/test-sequencer.mjs).
export default defineConfig({
  test: {
    pool: 'forks',
    // ACCT_TEST_WORKERS tries another pool size (each worker drives its own server processes).
    maxWorkers: Number(process.env['ACCT_TEST_WORKERS']) || 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    sequence: { sequencer: LongestFirstSequencer },
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
