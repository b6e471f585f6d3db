// test-dialects: sqlite — `node --check` of files; no server, no database
//
// Every script under scripts/ and scripts/bench/ parses. `pnpm bench` is a benchmark, never run
// by the suite, so a syntax error there (an apostrophe closing a single-quoted string, as in
// session 13's run.mjs) went unnoticed until the next bench; this is the whole check the suite can
// afford for them.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ROOT } from './harness.js';

const run = promisify(execFile);
const scripts = ['scripts', 'scripts/bench'].flatMap((dir) =>
  fs.readdirSync(path.join(ROOT, dir)).filter((name) => name.endsWith('.mjs')).map((name) => path.join(dir, name)));

describe('scripts', () => {
  it('finds the bench and build scripts', () => {
    expect(scripts).toEqual(expect.arrayContaining(['scripts/bench/run.mjs', 'scripts/bench/webhooks.mjs', 'scripts/test-sequencer.mjs']));
  });

  it.each(scripts)('%s parses', async (script) => {
    const { stderr } = await run(process.execPath, ['--check', path.join(ROOT, script)]);
    expect(stderr).toBe('');
  });
});
