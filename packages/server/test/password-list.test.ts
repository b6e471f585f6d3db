// test-dialects: sqlite — the common-password list searched in process; no server, no database
// The common-password blocklist is searched in place (a binary search over the generated sorted
// string): every entry must be found, and nothing that is not an entry.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ROOT } from './harness.js';

const dist = (file: string) => import(pathToFileURL(path.join(ROOT, 'packages/server/dist', file)).href);
const { COMMON_PASSWORDS } = await dist('auth/common-passwords.generated.js');
const { isCommonPassword } = await dist('auth/password-policy.js');
const list: string[] = COMMON_PASSWORDS.split('\n');
const listed = new Set(list);

describe('common-password list', () => {
  it('is sorted by code unit, with no duplicates or blank lines', () => {
    expect(list.length).toBeGreaterThan(40_000);
    for (let i = 1; i < list.length; i++) expect(list[i - 1]! < list[i]!).toBe(true);
    expect(list.includes('')).toBe(false);
  });

  it('finds every entry, the first and the last included', () => {
    const missed = list.filter((word) => !isCommonPassword(word));
    expect(missed).toEqual([]);
    expect(isCommonPassword(list[0]!)).toBe(true);
    expect(isCommonPassword(list.at(-1)!)).toBe(true);
  });

  it('finds nothing else: neighbours of every entry, and words before the first or after the last', () => {
    const near = list.flatMap((word) => [`${word}x`, word.slice(0, -1), ` ${word}`]).filter((w) => !listed.has(w) && !['acct', 'acctacctacctacct', 'passwordpassword'].includes(w));
    expect(near.filter((w) => isCommonPassword(w))).toEqual([]);
    for (const outside of ['', '\n', '\u0000', '\uffff\uffff', `${list[0]}\n${list[1]}`]) expect(isCommonPassword(outside)).toBe(false);
  });

  it('includes the service\'s own words', () => {
    for (const word of ['acct', 'acctacctacctacct', 'passwordpassword']) expect(isCommonPassword(word)).toBe(true);
  });
});
