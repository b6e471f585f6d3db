// test-dialects: sqlite — it reads test files' headers and the vitest config; no server, no database
//
// Which database passes run which test files (scripts/test-dialects.mjs, vitest.config.ts): a file
// runs on SQLite and PostgreSQL unless its header limits it with a reason, and a file that reaches
// storage in its own way may not leave PostgreSQL out. So a new storage test cannot silently skip
// the PostgreSQL pass.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ROOT } from './harness.js';

const { DIALECTS, declaredDialects, filesFor, selectedDialects, testFiles } = (await import(pathToFileURL(path.join(ROOT, 'scripts/test-dialects.mjs')).href)) as {
  DIALECTS: readonly ['sqlite', 'postgres'];
  declaredDialects(source: string): { dialects: string[]; reason: string | null };
  filesFor(root: string, dialect: string): string[];
  selectedDialects(env: Record<string, string | undefined>): string[];
  testFiles(root: string): string[];
};

const files = testFiles(ROOT);
const source = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');

/** What makes a file's behaviour depend on the dialect it runs on: it must run on PostgreSQL too. */
const STORAGE_OF_ITS_OWN = [/\btestDb\(/, /\bwithTestDb\(/, /\bexpireKey\(/, /\bTEST_DIALECT\b/];

describe('the dialect declarations', () => {
  it('finds every test file of every package', () => {
    expect(files).toContain('packages/server/test/route-matrix.test.ts');
    expect(files).toContain('packages/cli/test/e2e.test.ts');
    expect(files.every((f) => f.endsWith('.test.ts'))).toBe(true);
    expect(files.length).toBeGreaterThan(60);
  });

  it('runs a file without a marker in both passes', () => {
    expect(declaredDialects("import { it } from 'vitest';\n")).toEqual({ dialects: ['sqlite', 'postgres'], reason: null });
    expect(declaredDialects('// test-dialects: sqlite — the CLI against a fake transport, no server\n')).toEqual({ dialects: ['sqlite'], reason: 'the CLI against a fake transport, no server' });
  });

  it('refuses a marker without a real reason, with an unknown dialect, or twice', () => {
    expect(() => declaredDialects('// test-dialects: sqlite\n')).toThrow(/reason/);
    expect(() => declaredDialects('// test-dialects: sqlite — fast\n')).toThrow(/reason/);
    expect(() => declaredDialects('// test-dialects: mysql — a reason that is long enough\n')).toThrow(/sqlite\|postgres/);
    expect(() => declaredDialects('// test-dialects: sqlite — a reason that is long enough\n// test-dialects: postgres — a reason that is long enough\n')).toThrow(/more than one/);
  });

  it('every test file declares well, and every file runs in at least one pass', () => {
    const passes = Object.fromEntries(DIALECTS.map((d) => [d, new Set(filesFor(ROOT, d))]));
    for (const file of files) {
      expect(() => declaredDialects(source(file)), file).not.toThrow();
      expect(DIALECTS.some((d) => passes[d]!.has(file)), file).toBe(true);
    }
  });

  it('keeps on PostgreSQL every file that opens the database itself or asks which dialect it runs on', () => {
    const offending = files.filter((file) => {
      const text = source(file);
      return !declaredDialects(text).dialects.includes('postgres') && STORAGE_OF_ITS_OWN.some((re) => re.test(text));
    });
    expect(offending).toEqual([]);
  });

  it('runs in the PostgreSQL pass everything that is not declared SQLite-only, and in the SQLite pass everything not declared PostgreSQL-only', () => {
    const pg = new Set(filesFor(ROOT, 'postgres'));
    const lite = new Set(filesFor(ROOT, 'sqlite'));
    for (const file of files) {
      const { dialects } = declaredDialects(source(file));
      expect(pg.has(file), `${file} on PostgreSQL`).toBe(dialects.includes('postgres'));
      expect(lite.has(file), `${file} on SQLite`).toBe(dialects.includes('sqlite'));
    }
    // The route matrix and the tenancy isolation matrix reach every repository: both passes.
    for (const file of ['packages/server/test/route-matrix.test.ts', 'packages/server/test/tenancy-isolation.test.ts']) {
      expect(pg.has(file) && lite.has(file), file).toBe(true);
    }
  });

  it('selects the passes from ACCT_TEST_DIALECTS, else ACCT_TEST_DATABASE, else SQLite alone', () => {
    expect(selectedDialects({})).toEqual(['sqlite']);
    expect(selectedDialects({ ACCT_TEST_DATABASE: 'postgres' })).toEqual(['postgres']);
    expect(selectedDialects({ ACCT_TEST_DIALECTS: 'sqlite postgres', ACCT_TEST_DATABASE: 'postgres' })).toEqual(['sqlite', 'postgres']);
    expect(selectedDialects({ ACCT_TEST_DIALECTS: 'postgres' })).toEqual(['postgres']);
    expect(() => selectedDialects({ ACCT_TEST_DIALECTS: 'sqlite mysql' })).toThrow(/mysql/);
  });
});

describe('the vitest config', () => {
  it('has one project per selected dialect, each with its files and its ACCT_TEST_DATABASE', async () => {
    const saved = { dialects: process.env['ACCT_TEST_DIALECTS'] };
    process.env['ACCT_TEST_DIALECTS'] = 'sqlite postgres';
    try {
      const url = `${pathToFileURL(path.join(ROOT, 'vitest.config.ts')).href}?t=${Date.now()}`;
      const config = (await import(url)).default as { test: { projects: { test: { name: string; include: string[]; env: Record<string, string> } }[] } };
      const projects = config.test.projects.map((p) => p.test);
      expect(projects.map((p) => p.name)).toEqual(['sqlite', 'postgres']);
      for (const p of projects) {
        expect(p.env).toEqual({ ACCT_TEST_DATABASE: p.name });
        expect(p.include).toEqual(filesFor(ROOT, p.name));
      }
    } finally {
      if (saved.dialects === undefined) delete process.env['ACCT_TEST_DIALECTS'];
      else process.env['ACCT_TEST_DIALECTS'] = saved.dialects;
    }
  });
});
