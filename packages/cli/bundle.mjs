#!/usr/bin/env node
// Bundles the CLI (src/cli.ts and everything it imports from src/) into dist/bundle/ with esbuild:
// the entry is one ESM file, and each `import('./commands/…')` stays a chunk of its own, so a
// command still loads only what it needs. commander, which every run needs, goes in the entry;
// the other packages stay outside, each loaded from node_modules only when a command needs it
// (the keychain addon, tough-cookie, prompts, jq-web and its WebAssembly, the shared contracts).
// dist/bin.js loads the bundle when it exists. Run by `pnpm run build` after tsc.
import { build } from 'esbuild';
import { writeBundle } from '../../scripts/bundle-output.mjs';
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const { dependencies } = JSON.parse(fs.readFileSync(path.join(here, 'package.json'), 'utf8'));
const INLINE = new Set(['commander']);
const outdir = path.join(here, 'dist/bundle');
/**
 * Node's built-in modules through process.getBuiltinModule instead of ESM imports. An ESM
 * `import fs from 'node:fs'` copies every export into the module namespace, and the copy runs
 * the lazy getters: fs.ReadStream loads all of node:stream, http.WebSocket all of undici. Here
 * the module object is handed over as it is, and the named exports are its plain data
 * properties (a getter's value is read only by the code that uses it). child_process, which
 * commander imports for subcommands acct does not have, loads only if something calls it.
 */
const LAZY = new Set(['child_process']);
const builtins = {
  name: 'builtins-without-getters',
  setup(b) {
    const names = new Set(builtinModules.filter((m) => !m.startsWith('_')));
    b.onResolve({ filter: /^(node:)?[a-z_/]+$/ }, (args) => {
      const name = args.path.replace(/^node:/, '');
      return names.has(name) ? { path: name, namespace: 'builtin' } : undefined;
    });
    b.onLoad({ filter: /.*/, namespace: 'builtin' }, ({ path: name }) => {
      const id = JSON.stringify(`node:${name}`);
      if (LAZY.has(name)) {
        return { contents: `let m;\nexport default new Proxy({}, { get: (_t, key) => (m ??= process.getBuiltinModule(${id}))[key] });\n`, loader: 'js' };
      }
      const mod = process.getBuiltinModule(`node:${name}`);
      const plain = Object.keys(mod).filter((k) => /^[A-Za-z_$][\w$]*$/.test(k) && k !== 'default' && 'value' in (Object.getOwnPropertyDescriptor(mod, k) ?? {}));
      // Each named export reads its property in a call marked pure, so esbuild drops the exports
      // nothing imports: a property that was a lazy getter in the building process (util.parseArgs,
      // util.diff, fs.Dir) would otherwise be read at start and load its module.
      const lines = [`const m = process.getBuiltinModule(${id});`, 'export default m;', ...plain.map((k) => `export const ${k} = /* @__PURE__ */ (() => m.${k})();`)];
      return { contents: `${lines.join('\n')}\n`, loader: 'js' };
    });
  },
};

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
  plugins: [builtins, sharedRoutes],
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
