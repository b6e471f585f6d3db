// Builds dist/acct-server: the server as one Node single executable application (SEA).
//
//   1. esbuild bundles packages/server/dist/main.js (the tsc output) and every dependency into
//      one CommonJS file. The native requires of better-sqlite3 and @node-rs/argon2 are redirected
//      to scripts/binary/native-loader.cjs, which loads the addon from a SEA asset.
//   2. `node --experimental-sea-config` turns the bundle (with V8 code cache) and the two .node
//      files (as assets) into a preparation blob.
//   3. postject injects the blob into a copy of this Node binary; the result is written to
//      dist/acct-server atomically (a half-built binary is never left under that name).
//
// Run through scripts/build-binary, which installs and builds first.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { serverNodeFlags } from '../node-flags.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const OUT = path.join(ROOT, 'dist');
const BINARY = path.join(OUT, 'acct-server');
const ENTRY = path.join(ROOT, 'packages/server/dist/main.js');
const LOADER = path.join(ROOT, 'scripts/binary/native-loader.cjs');
const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

const started = Date.now();
const log = (msg) => process.stderr.write(`acct: build-binary: ${msg}\n`);

if (!fs.existsSync(ENTRY)) throw new Error(`${ENTRY} is missing: run pnpm run build first`);

// --- the native addons of this platform -------------------------------------------------------
const serverRequire = createRequire(path.join(ROOT, 'packages/server/package.json'));
const sqliteRoot = fs.realpathSync(path.dirname(serverRequire.resolve('better-sqlite3/package.json')));
const argon2Root = fs.realpathSync(path.dirname(serverRequire.resolve('@node-rs/argon2/package.json')));

function isMusl() {
  if (process.platform !== 'linux') return false;
  return !process.report.getReport().header.glibcVersionRuntime;
}

const sqliteNative = (() => {
  const { getPrebuildPath } = createRequire(path.join(sqliteRoot, 'package.json'))('./lib/binding.js');
  const built = path.join(sqliteRoot, 'build/Release/better_sqlite3.node');
  const file = fs.existsSync(built) ? built : getPrebuildPath();
  if (!file) throw new Error(`no better-sqlite3 addon for ${process.platform}-${process.arch}`);
  return file;
})();

const argon2Native = (() => {
  const abi = process.platform === 'linux' ? (isMusl() ? '-musl' : '-gnu') : process.platform === 'win32' ? '-msvc' : '';
  const triple = `${process.platform}-${process.arch}${abi}`;
  const argon2Require = createRequire(path.join(argon2Root, 'package.json'));
  const pkg = path.dirname(argon2Require.resolve(`@node-rs/argon2-${triple}/package.json`));
  const file = path.join(pkg, `argon2.${triple}.node`);
  if (!fs.existsSync(file)) throw new Error(`no @node-rs/argon2 addon at ${file}`);
  return file;
})();

const ASSETS = { 'better_sqlite3.node': sqliteNative, 'argon2.node': argon2Native };

// --- 1. bundle --------------------------------------------------------------------------------
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const nativeRedirect = {
  name: 'acct-sea-native',
  setup(build) {
    build.onResolve({ filter: /^acct-sea-native$/ }, () => ({ path: LOADER }));
    // better-sqlite3's entry picks its addon from build/ or prebuilds/ on disk: use the asset.
    build.onLoad({ filter: new RegExp(`^${escape(path.join(sqliteRoot, 'lib', 'index.js'))}$`) }, () => ({
      contents: [
        "'use strict';",
        "module.exports = require('./database')(() => require('acct-sea-native').load('better_sqlite3.node'), false);",
        "module.exports.SqliteError = require('./sqlite-error');",
      ].join('\n'),
      loader: 'js',
      resolveDir: path.join(sqliteRoot, 'lib'),
    }));
    // @node-rs/argon2's entry tries a .node per platform beside it or in an optional package.
    build.onLoad({ filter: new RegExp(`^${escape(path.join(argon2Root, 'index.js'))}$`) }, () => ({
      contents: "'use strict';\nmodule.exports = require('acct-sea-native').load('argon2.node');\n",
      loader: 'js',
      resolveDir: argon2Root,
    }));
  },
};

// A private work dir per build, so two builds at once (two test runs in one tree) cannot collide;
// each renames its finished binary into place atomically.
fs.mkdirSync(OUT, { recursive: true });
const WORK = fs.mkdtempSync(path.join(OUT, '.binary-build-'));
// --keep leaves the bundle and the SEA config in the work dir to look at; otherwise it goes,
// on success and on failure alike.
const keep = process.argv.includes('--keep');
process.on('exit', () => {
  if (keep) log(`kept ${path.relative(ROOT, WORK)}/`);
  else fs.rmSync(WORK, { recursive: true, force: true });
});
const bundle = path.join(WORK, 'acct-server.cjs');
const result = await esbuild.build({
  entryPoints: [ENTRY],
  outfile: bundle,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: `node${process.versions.node.split('.')[0]}`,
  minifyWhitespace: true,
  minifySyntax: true,
  keepNames: true,
  legalComments: 'eof',
  metafile: true,
  logLevel: 'warning',
  plugins: [nativeRedirect],
  // Optional peers that are required inside try/catch and never installed: leave them out.
  external: ['pino-pretty'],
});
const inputs = Object.keys(result.metafile.inputs);
for (const needed of ['better-sqlite3', '@node-rs/argon2', 'kysely', 'pino', 'pg', 'express']) {
  if (!inputs.some((p) => p.includes(`/${needed}/`) || p.includes(`/${needed.replace('/', '+')}@`))) throw new Error(`the bundle lacks ${needed}`);
}
log(`bundled ${inputs.length} modules, ${(fs.statSync(bundle).size / 2 ** 20).toFixed(1)} MiB`);

// --- 2. SEA preparation blob ------------------------------------------------------------------
const blob = path.join(WORK, 'sea-prep.blob');
const seaConfig = path.join(WORK, 'sea-config.json');
const NODE_FLAGS = serverNodeFlags();
fs.writeFileSync(seaConfig, JSON.stringify({
  main: bundle,
  output: blob,
  disableExperimentalSEAWarning: true,
  useSnapshot: false,
  useCodeCache: true,
  // The Node/V8 flags scripts/server passes (packages/server/node-flags): the binary runs as lean.
  execArgv: NODE_FLAGS,
  assets: ASSETS,
}, null, 2));
// The V8 code cache is made under the same flags the binary runs with: V8 rejects a cache made
// under other flags (with a warning on every start).
const prepared = spawnSync(process.execPath, [...NODE_FLAGS, '--experimental-sea-config', seaConfig], { cwd: WORK, encoding: 'utf8' });
if (prepared.status !== 0 || !fs.existsSync(blob)) throw new Error(`node --experimental-sea-config failed:\n${prepared.stdout}${prepared.stderr}`);
log(`SEA blob ${(fs.statSync(blob).size / 2 ** 20).toFixed(1)} MiB (bundle, code cache, addons)`);

// --- 3. inject into a copy of node ------------------------------------------------------------
const tmp = path.join(WORK, 'acct-server');
fs.copyFileSync(process.execPath, tmp);
fs.chmodSync(tmp, 0o755);
// Official Node builds carry their symbol table and debug info (~18 MB); the addons need only
// the dynamic symbols (napi_*), which strip keeps. Skipped where binutils is missing or --no-strip.
let stripped = false;
if (!process.argv.includes('--no-strip') && spawnSync('strip', ['--version'], { stdio: 'ignore' }).status === 0) {
  execFileSync('strip', ['--strip-all', tmp], { stdio: ['ignore', 'ignore', 'inherit'] });
  stripped = true;
}
const postject = path.join(path.dirname(createRequire(import.meta.url).resolve('postject/package.json')), 'dist/cli.js');
const injected = spawnSync(process.execPath, [postject, tmp, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', FUSE], { encoding: 'utf8' });
// LIEF warns about Node's unnamed .note sections on every run; those lines are noise.
const noise = /^warning: Can't find string offset for section name/;
const said = `${injected.stdout}${injected.stderr}`.split('\n').filter((l) => l.trim() && !noise.test(l));
if (injected.status !== 0) throw new Error(`postject failed (${injected.status ?? injected.signal}):\n${said.join('\n')}`);
for (const line of said) if (/warn|error/i.test(line)) log(`postject: ${line}`);
// Smoke check before it takes the name: the injected app runs and answers --version.
const smoke = spawnSync(tmp, ['--version'], { cwd: WORK, env: { PATH: process.env.PATH ?? '' }, encoding: 'utf8', timeout: 30_000 });
if (smoke.status !== 0 || !/^\d+\.\d+\.\d+/.test(smoke.stdout)) throw new Error(`the built binary does not run (--version: ${smoke.status ?? smoke.signal}):\n${smoke.stdout}${smoke.stderr}`);
fs.renameSync(tmp, BINARY);
log(`wrote ${path.relative(ROOT, BINARY)} (${(fs.statSync(BINARY).size / 2 ** 20).toFixed(1)} MiB, node ${process.version}${stripped ? ', stripped' : ''}) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
