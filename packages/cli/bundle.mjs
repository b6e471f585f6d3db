#!/usr/bin/env node
// Bundles the CLI (src/cli.ts and everything it imports from src/) into dist/bundle/ with esbuild:
// the entry is one ESM file, and each `import('./commands/…')` stays a chunk of its own, so a
// command still loads only what it needs. commander, which every run needs, goes in the entry;
// the other packages stay outside, each loaded from node_modules only when a command needs it
// (the keychain addon, tough-cookie, prompts, jq-web and its WebAssembly, the shared contracts).
// dist/bin.js loads the bundle when it exists. Run by `pnpm run build` after tsc.
import { build } from 'esbuild';
import { writeBundle } from '../../scripts/bundle-output.mjs';
import { builtinsWithoutGetters } from '../../scripts/esbuild-builtins.mjs';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const { dependencies } = JSON.parse(fs.readFileSync(path.join(here, 'package.json'), 'utf8'));
const INLINE = new Set(['commander']);
const outdir = path.join(here, 'dist/bundle');
/**
 * `@acct/shared/routes` (each route's method and path, plain data) goes into the bundle: the
 * typed calls of lib/api.ts need it, and it is small; the rest of @acct/shared stays outside.
 */
const sharedRoutes = {
  name: 'shared-routes-inline',
  setup(b) {
    b.onResolve({ filter: /^@acct\/shared\/routes$/ }, () => ({ path: path.join(here, '../shared/src/routes.ts') }));
  },
};

const result = await build({
  write: false,
  // child_process: commander imports it for subcommands acct does not have.
  plugins: [builtinsWithoutGetters({ lazy: ['child_process'] }), sharedRoutes],
  entryPoints: [path.join(here, 'src/cli.ts')],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  external: Object.keys(dependencies).filter((name) => !INLINE.has(name)),
  chunkNames: 'chunks/[name]-[hash]',
  sourcemap: 'linked',
  logLevel: 'warning',
});

// Tests and the benchmark may be running this bundle while it is rebuilt (scripts/bundle-output.mjs).
writeBundle(result.outputFiles, outdir);
