import { defineConfig } from 'vitest/config';

// Each test file starts its own real server(s); two workers match CI's two cores.
export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
