// An esbuild plugin both bundles use (packages/server/bundle.mjs, packages/cli/bundle.mjs): Node's
// built-in modules through process.getBuiltinModule instead of ESM imports.
//
// Why: an ESM `import http from 'node:http'` makes Node build the module's namespace facade, which
// copies every export and so runs the lazy getters: http.WebSocket loads all of undici (~22 ms of
// CPU at every start, measured on the server), fs.ReadStream all of node:stream. Here the module
// object is handed over as it is, and the named exports are its plain data properties (a getter's
// value is read only by the code that uses it, or at start when it is imported by name).
import { builtinModules } from 'node:module';

/** `lazy`: built-ins loaded only when something reads a property (the CLI's child_process, which commander imports for subcommands acct does not have). */
export function builtinsWithoutGetters({ lazy = [] } = {}) {
  const LAZY = new Set(lazy);
  return {
    name: 'builtins-without-getters',
    setup(b) {
      const builtins = new Set(builtinModules.filter((m) => !m.startsWith('_')));
      b.onResolve({ filter: /^(node:)?[a-z_/]+$/ }, (args) => {
        // A bundled CommonJS package's require() gets the module itself, as before (through the
        // bundle's own require); only ES imports build a facade.
        if (args.kind === 'require-call') return undefined;
        const name = args.path.replace(/^node:/, '');
        return builtins.has(name) ? { path: name, namespace: 'builtin' } : undefined;
      });
      b.onLoad({ filter: /.*/, namespace: 'builtin' }, ({ path: name }) => {
        const id = JSON.stringify(`node:${name}`);
        if (LAZY.has(name)) {
          return { contents: `let m;\nexport default new Proxy({}, { get: (_t, key) => (m ??= process.getBuiltinModule(${id}))[key] });\n`, loader: 'js' };
        }
        const mod = process.getBuiltinModule(`node:${name}`);
        const exported = Object.keys(mod).filter((k) => /^[A-Za-z_$][\w$]*$/.test(k) && k !== 'default');
        // Each named export reads its property in a call marked pure, so esbuild drops the exports
        // nothing imports: only a getter the code imports by name (AsyncLocalStorage, BlockList)
        // is read at start; the others (http.WebSocket, util.parseArgs, fs.Dir) never are.
        const lines = [`const m = process.getBuiltinModule(${id});`, 'export default m;', ...exported.map((k) => `export const ${k} = /* @__PURE__ */ (() => m.${k})();`)];
        return { contents: `${lines.join('\n')}\n`, loader: 'js' };
      });
    },
  };
}
