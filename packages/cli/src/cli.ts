import { main } from './program.js';

/** Runs acct with the process's arguments; bin.ts loads this (bundled into dist/bundle/cli.js by `pnpm run build`). */
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`acct: unexpected error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
