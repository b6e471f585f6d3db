// test-dialects: sqlite — pure functions in process (db/database.ts escapeLiteral, inlined); the round trip is postgres-commit-riders.test.ts
// A statement riding with its transaction's COMMIT (the audit outbox row) has its parameters
// written into the SQL as literals. escapeLiteral must write exactly what pg's own escapeLiteral
// writes (that is what makes inlining safe), for every kind of string; inlined() must place each
// value at its `$n`, and refuse what it cannot write as a literal.
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ROOT } from './harness.js';

type DatabaseModule = typeof import('../src/db/database.js');
const { escapeLiteral, inlined } = (await import(pathToFileURL(path.join(ROOT, 'packages/server/dist/db/database.js')).href)) as DatabaseModule;
const pg = createRequire(path.join(ROOT, 'packages/server/package.json'))('pg') as { escapeLiteral(value: string): string };

/** Deterministic pseudo-random strings drawn from quotes, backslashes, SQL and multi-byte characters. */
function* strings(count: number): Generator<string> {
  const alphabet = ["'", '\\', '"', '$', '1', ';', '-', ' ', '\n', '\t', 'a', 'Z', 'é', '日', '🙂', 'E', '\u2028'];
  let seed = 42;
  const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
  for (let n = 0; n < count; n++) {
    let s = '';
    const length = next() % 24;
    for (let i = 0; i < length; i++) s += alphabet[next() % alphabet.length];
    yield s;
  }
}

describe('escapeLiteral', () => {
  it("writes what pg's escapeLiteral writes, for plain strings, quotes, backslashes and both", () => {
    const cases = ['', 'plain', "it's", "''", '\\', 'ends with \\', "both ' and \\", "\\'", 'E\'x\'', '日本語 🙂', '$1 $$ ; DROP TABLE x; --'];
    for (const s of [...cases, ...strings(5000)]) expect(escapeLiteral(s), JSON.stringify(s)).toBe(pg.escapeLiteral(s));
  });
});

describe('inlined', () => {
  const SQL = 'INSERT INTO t (a, b, c) VALUES ($1, $2, $3)';

  it('puts each value at its parameter: strings quoted, numbers as they are, null as NULL', () => {
    expect(inlined(SQL, ["it's", 42, null])).toBe("INSERT INTO t (a, b, c) VALUES ('it''s', 42, NULL)");
    expect(inlined('SELECT $2, $1, $2', ['a', 'b'])).toBe("SELECT 'b', 'a', 'b'");
    expect(inlined(SQL, ['x\\y', -1.5, 'z'])).toBe("INSERT INTO t (a, b, c) VALUES ( E'x\\\\y', -1.5, 'z')");
  });

  it('refuses what it cannot write as a literal: NUL in a string, booleans, objects, undefined, non-finite numbers', () => {
    for (const bad of ['a\0b', true, { a: 1 }, undefined, Number.NaN, Number.POSITIVE_INFINITY, 10n]) expect(inlined(SQL, ['ok', bad, null])).toBeNull();
  });
});
