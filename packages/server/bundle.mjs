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
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const outdir = path.join(here, 'dist/bundle');

const result = await build({
  write: false,
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

// Servers started by tests may be running from dist/bundle while this runs: files whose content
// is unchanged are left alone, changed ones replaced by a rename (never a half-written file), and
// only files the new build no longer has are removed.
const written = new Set();
for (const file of result.outputFiles) {
  written.add(file.path);
  let same = false;
  try {
    same = Buffer.compare(fs.readFileSync(file.path), file.contents) === 0;
  } catch {
    // new file
  }
  if (same) continue;
  fs.mkdirSync(path.dirname(file.path), { recursive: true });
  const tmp = `${file.path}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, file.contents);
  fs.renameSync(tmp, file.path);
}
for (const entry of fs.existsSync(outdir) ? fs.readdirSync(outdir, { recursive: true, withFileTypes: true }) : []) {
  const full = path.join(entry.parentPath, entry.name);
  if (entry.isFile() && !written.has(full)) fs.rmSync(full);
}
