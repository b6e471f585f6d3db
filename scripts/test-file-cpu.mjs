// A vitest setup file (vitest.config.ts): the CPU each test file costs, its worker's own and its
// children's (the servers, CLIs and browsers it started and waited for), from /proc/self/stat,
// kept in the file's meta (`cpuMs`) for scripts/test-summary-reporter.mjs. The sequencer
// (scripts/test-sequencer.mjs) orders files by it. Workers run one file at a time; off Linux
// nothing is recorded.
import fs from 'node:fs';
import { afterAll, beforeAll } from 'vitest';

/** utime + stime + cutime + cstime of this process, in ms; null where /proc is not there. */
function cpuMs() {
  try {
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * 1000) / 100;
  } catch {
    return null;
  }
}

let started = null;
beforeAll(() => {
  started = cpuMs();
});
// vitest passes the fixtures first (an object pattern is required), then the file.
afterAll(({}, suite) => {
  const now = cpuMs();
  if (started !== null && now !== null) (suite.file ?? suite).meta.cpuMs = Math.round(now - started);
});
