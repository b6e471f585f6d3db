#!/usr/bin/env node
import { VERSION } from './version.js';

// Node's module compile cache (as the CLI's bin.ts): a start after the first reads V8's compiled
// code of the bundle (~3 MB loaded to serve) instead of parsing it again, ~30 ms of CPU of the
// ~170 ms a start cost (docs/benchmarks.md "Session 13"). In $XDG_CACHE_HOME/acct/compile-cache,
// else ~/.cache/…; NODE_COMPILE_CACHE sets another place, NODE_DISABLE_COMPILE_CACHE=1 turns it off.
// Not in the single binary: its V8 code cache is inside it, and it writes nothing but its data dir.
if (!process.env['NODE_COMPILE_CACHE'] && !process.env['NODE_DISABLE_COMPILE_CACHE'] && !process.getBuiltinModule('node:sea')?.isSea()) {
  const { homedir, tmpdir } = process.getBuiltinModule('node:os');
  const { join } = process.getBuiltinModule('node:path');
  const cacheHome = process.env['XDG_CACHE_HOME'] || (homedir() ? join(homedir(), '.cache') : tmpdir());
  try {
    process.getBuiltinModule('node:module').enableCompileCache?.(join(cacheHome, 'acct', 'compile-cache'));
  } catch {
    // A cache that cannot be written only costs speed.
  }
}

const HELP = `acct-server ${VERSION}: the acct account and API-key server

usage:
  acct-server [serve]        start the server (env: PORT, HOST, ACCT_DATA_DIR, DATABASE_URL, …)
  acct-server migrate        apply pending database migrations and exit
  acct-server backup FILE    online backup of the SQLite database to FILE
  acct-server doctor         check configuration, data dir, database, SMTP and Redis
  acct-server admin grant EMAIL   make the account a platform admin (/admin); 'admin revoke EMAIL' undoes it
  acct-server --version      print the version
`;

/** Dispatches the subcommand; the server itself is loaded only when serving. */
async function main(argv: string[]): Promise<number | null> {
  const [command = 'serve', ...args] = argv;
  switch (command) {
    case 'serve':
      await (await import('./serve.js')).serve();
      return null;
    case 'migrate':
      return (await import('./ops/migrate.js')).migrateCommand(process.stdout);
    case 'backup':
      return (await import('./ops/backup.js')).backupCommand(args, process.stdout, process.stderr);
    case 'admin':
      return (await import('./ops/admin.js')).adminCommand(args, process.stdout, process.stderr);
    case 'doctor':
      return (await import('./ops/doctor.js')).doctorCommand(process.stdout);
    case '--version':
    case '-v':
    case 'version':
      process.stdout.write(`${VERSION}\n`);
      return 0;
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(HELP);
      return 0;
    default:
      process.stderr.write(`acct-server: unknown command ${JSON.stringify(command)}\n\n${HELP}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    // Exit once stdout has drained: a pipe is written asynchronously, and exit() would cut it.
    if (code !== null) process.stdout.write('', () => process.exit(code));
  },
  (err: unknown) => {
    process.stderr.write(`acct-server: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
