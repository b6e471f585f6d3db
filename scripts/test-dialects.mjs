// Which database passes each test file runs in (vitest.config.ts builds one vitest project per
// dialect from this; packages/server/test/test-dialects.test.ts checks the declarations).
//
// Every test file runs on SQLite AND on PostgreSQL unless its header says otherwise with one line
//
//   // test-dialects: sqlite — <why PostgreSQL would test nothing more here>
//   // test-dialects: postgres — <why SQLite would test nothing more here>
//
// So a new file, or one whose marker is removed, runs on both: nothing skips PostgreSQL silently.
// A file that reaches storage in its own way (opens the database with testDb/withTestDb, or asks
// which dialect it runs on) may not be limited to SQLite; the check test refuses it.
import fs from 'node:fs';
import path from 'node:path';

export const DIALECTS = /** @type {const} */ (['sqlite', 'postgres']);

const MARKER = /^\/\/ test-dialects: *(.*)$/gm;
const DECLARATION = /^(sqlite|postgres) — (\S.{19,})$/;

/** The test files of the suite, relative to `root`, sorted. */
export function testFiles(root) {
  const files = [];
  for (const pkg of fs.readdirSync(path.join(root, 'packages')).sort()) {
    const dir = path.join(root, 'packages', pkg, 'test');
    if (!fs.existsSync(dir)) continue;
    const walk = (d) => {
      for (const entry of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
        const full = path.join(d, entry.name);
        if (entry.isDirectory()) walk(full);
        else if (entry.name.endsWith('.test.ts')) files.push(path.relative(root, full).split(path.sep).join('/'));
      }
    };
    walk(dir);
  }
  return files;
}

/**
 * The dialects a file's source declares: `{ dialects, reason }`, both dialects (reason null) when
 * it has no marker. Throws on a malformed marker or more than one, so a typo cannot skip a pass.
 */
export function declaredDialects(source) {
  const markers = [...source.matchAll(MARKER)].map((m) => m[1].trim());
  if (markers.length === 0) return { dialects: [...DIALECTS], reason: null };
  if (markers.length > 1) throw new Error(`more than one "// test-dialects:" line`);
  const m = DECLARATION.exec(markers[0]);
  if (!m) throw new Error(`"// test-dialects: ${markers[0]}" must read "// test-dialects: sqlite|postgres — <a reason of 20 characters or more>"`);
  return { dialects: [m[1]], reason: m[2] };
}

/** The files (relative to `root`) that run in one dialect's pass. */
export function filesFor(root, dialect) {
  return testFiles(root).filter((file) => {
    try {
      return declaredDialects(fs.readFileSync(path.join(root, file), 'utf8')).dialects.includes(dialect);
    } catch (err) {
      throw new Error(`${file}: ${err.message}`);
    }
  });
}

/**
 * The passes to run: ACCT_TEST_DIALECTS (a list, as scripts/test sets it), else
 * ACCT_TEST_DATABASE (one), else SQLite alone, so `pnpm exec vitest run <file>` stays one pass.
 */
export function selectedDialects(env) {
  const list = (env.ACCT_TEST_DIALECTS || env.ACCT_TEST_DATABASE || 'sqlite').split(/[\s,]+/).filter(Boolean);
  for (const d of list) if (!DIALECTS.includes(d)) throw new Error(`unknown test dialect "${d}" (expected ${DIALECTS.join(' or ')})`);
  return [...new Set(list)];
}
