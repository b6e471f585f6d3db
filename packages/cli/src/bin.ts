#!/usr/bin/env node
// Start-up is most of what a CLI call costs (issue 12: cold `acct call` ≤ +50 ms over `node -e 0`).
// Node keeps the compiled code of every module it loads in a cache directory, so later runs skip
// parsing and compiling; and `pnpm run build` bundles the CLI (esbuild) into dist/bundle/, one
// file to load at start with each command in its own chunk, loaded when that command runs.
// Built-in modules come from process.getBuiltinModule: an ESM `import fs from 'node:fs'` runs
// fs's lazy getters (ReadStream loads all of node:stream), which costs more than all of acct.
const fs = process.getBuiltinModule('node:fs') as typeof import('node:fs');
const path = process.getBuiltinModule('node:path') as typeof import('node:path');

if (!process.env['NODE_COMPILE_CACHE'] && !process.env['NODE_DISABLE_COMPILE_CACHE']) {
  // $XDG_CACHE_HOME/acct/compile-cache, else ~/.cache/…, else the temp dir; never a failure.
  const os = process.getBuiltinModule('node:os') as typeof import('node:os');
  const cacheHome = process.env['XDG_CACHE_HOME'] || (os.homedir() ? path.join(os.homedir(), '.cache') : os.tmpdir());
  try {
    (process.getBuiltinModule('node:module') as typeof import('node:module')).enableCompileCache?.(path.join(cacheHome, 'acct', 'compile-cache'));
  } catch {
    // A cache that cannot be written only costs speed.
  }
}

const bundle = new URL('./bundle/cli.js', import.meta.url);
await import(fs.existsSync(bundle) ? bundle.href : './cli.js');
