// test-dialects: sqlite — reads the server sources in process; no database
// The server's module picture (docs/architecture.md "Layers"): every import of a source file
// points to its own layer or one below, never back up. Read from the sources, in process.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './harness.js';

const SRC = path.join(ROOT, 'packages/server/src');

/** Lowest first. A file belongs to the first layer with a matching pattern, scanned top-down in `layerOf`. */
export const LAYERS: readonly { name: string; holds: string; files: RegExp[] }[] = [
  { name: 'base', holds: 'version, logger, configuration, the clock', files: [/^version\.ts$/, /^logger\.ts$/, /^config\.ts$/, /^time\/clock\.ts$/] },
  { name: 'storage', holds: 'database, schema, migrations, prepared statements, ids', files: [/^db\//] },
  { name: 'http', holds: 'HttpError, client IP, pagination, renderers, access log, the Principal type', files: [/^http\/(?!bind\.ts$)/, /^auth\/principal\.ts$/] },
  { name: 'features', holds: 'services and repositories of each feature, mail, rate limits, sign-in machinery, page views (web/)', files: [/^[a-z-]+\/.*\.tsx?$/] },
  { name: 'access', holds: 'credential kinds (auth/credentials/) and guards', files: [/^auth\/credentials\//, /^auth\/guards\.ts$/] },
  { name: 'binding', holds: 'bind(): validate, guard, handler, render', files: [/^http\/bind\.ts$/] },
  { name: 'routes', holds: 'each feature’s *.routes.ts', files: [/\.routes\.ts$/, /^time\/test-clock\.ts$/] },
  { name: 'app', holds: 'app-wide middleware, the web console’s router and page handlers (web/routes, orgs, org-webhooks, org-audit, admin, docs; its views sit with the features), createApp(deps), the deps contract', files: [/^middleware\//, /^web\/(routes|orgs|org-webhooks|org-audit|admin|docs)\.tsx$/, /^app\.ts$/, /^deps\.ts$/] },
  { name: 'process', holds: 'serve, main, the acct-server operator commands', files: [/^serve\.ts$/, /^main\.ts$/, /^ops\//] },
];

function layerOf(file: string): number {
  // The most specific layer wins: scan from the top, `features` (any folder) is the catch-all below.
  for (let i = LAYERS.length - 1; i >= 0; i--) if (i !== 3 && LAYERS[i]!.files.some((re) => re.test(file))) return i;
  if (LAYERS[3]!.files.some((re) => re.test(file))) return 3;
  throw new Error(`${file} belongs to no layer: add it to LAYERS`);
}

function sources(dir = SRC): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sources(full);
    return /\.tsx?$/.test(e.name) ? [path.relative(SRC, full).split(path.sep).join('/')] : [];
  });
}

/** Relative imports of a file: target path and whether the import names types only. */
function importsOf(file: string): { target: string; typeOnly: boolean }[] {
  const text = fs.readFileSync(path.join(SRC, file), 'utf8');
  const out: { target: string; typeOnly: boolean }[] = [];
  for (const m of text.matchAll(/^(?:import|export)(\s+type)?[^;]*?\bfrom\s+'(\.[^']+)'|import\(\s*'(\.[^']+)'\s*\)/gms)) {
    const spec = m[2] ?? m[3]!;
    const ts = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)).replace(/\.js$/, '.ts');
    // A .js specifier names the compiled file of a .ts or, for JSX views (web/), a .tsx source.
    const target = fs.existsSync(path.join(SRC, ts)) ? ts : `${ts}x`;
    out.push({ target, typeOnly: Boolean(m[1]) });
  }
  return out;
}

describe('layers of the server', () => {
  const files = sources();

  it('place every source file in a layer', () => {
    expect(files.length).toBeGreaterThan(50);
    for (const f of files) expect(() => layerOf(f), f).not.toThrow();
  });

  it('import only from their own layer or below (the deps contract may be named as a type anywhere)', () => {
    const upward: string[] = [];
    for (const file of files) {
      for (const { target, typeOnly } of importsOf(file)) {
        if (!files.includes(target)) throw new Error(`${file} imports ${target}, which does not exist`);
        if (typeOnly && target === 'deps.ts') continue;
        if (layerOf(target) > layerOf(file)) upward.push(`${file} (${LAYERS[layerOf(file)]!.name}) -> ${target} (${LAYERS[layerOf(target)]!.name})`);
      }
    }
    expect(upward).toEqual([]);
  });

  it('tell a back-edge apart from a fine import', () => {
    expect(layerOf('http/bind.ts')).toBeGreaterThan(layerOf('auth/guards.ts'));
    expect(layerOf('auth/guards.ts')).toBeGreaterThan(layerOf('keys/key-auth.ts'));
    expect(layerOf('keys/keys.routes.ts')).toBeGreaterThan(layerOf('http/bind.ts'));
    expect(layerOf('http/http-error.ts')).toBeLessThan(layerOf('keys/keys.service.ts'));
  });
});
