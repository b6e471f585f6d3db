#!/usr/bin/env node
// Bundles the server (src/main.ts and every package it imports) into dist/bundle/ with esbuild:
// one ESM entry, and each `import('…')` that stays lazy (PostgreSQL, Redis, the MCP SDK, the
// webhook worker, operator commands) a chunk of its own. Only the native addons stay outside,
// loaded from node_modules. Run by `pnpm run build` after tsc; scripts/server, the test harness
// and the benchmark start dist/bundle/main.js.
//
// Why: as ~700 separate ES modules (kysely alone is 285 files, TypeBox 218) the server took
// ~380 ms of CPU and ~107 MB resident to start; bundled, ~200 ms and ~98 MB (docs/architecture.md
// "Build"). The single binary (scripts/binary/build.mjs) bundles the same sources its own way.
import { build } from 'esbuild';
import { writeBundle } from '../../scripts/bundle-output.mjs';
import { builtinsWithoutGetters } from '../../scripts/esbuild-builtins.mjs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const outdir = path.join(here, 'dist/bundle');

const result = await build({
  write: false,
  // Built-ins without their ESM facade: `import http from 'node:http'` alone loaded undici at
  // start. node:https (and with it node:tls, ~18 ms) loads when a webhook or a metadata
  // document is first fetched, not at every start.
  plugins: [builtinsWithoutGetters({ lazy: ['https'] })],
  entryPoints: [path.join(here, 'src/main.ts')],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  // Native addons load their .node file from beside their own package; pg-native is optional.
  external: ['better-sqlite3', '@node-rs/argon2', 'pg-native'],
  // CommonJS packages inside an ES module still call require() for Node's built-ins.
  banner: { js: "import { createRequire as __acctCreateRequire } from 'node:module';\nconst require = __acctCreateRequire(import.meta.url);" },
  jsx: 'automatic',
  jsxImportSource: 'preact',
  chunkNames: 'chunks/[name]-[hash]',
  sourcemap: 'linked',
  logLevel: 'warning',
});

// Tests and the benchmark may be running this bundle while it is rebuilt (scripts/bundle-output.mjs).
writeBundle(result.outputFiles, outdir);
