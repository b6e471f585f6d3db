import { main } from './program.js';

/**
 * Runs acct with the process's arguments; bin.ts loads this (bundled into dist/bundle/cli.js by
 * `pnpm run build`). main() never rejects: its catch turns every failure into the exit code.
 */
process.exitCode = await main(process.argv.slice(2));
