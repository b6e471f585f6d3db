#!/usr/bin/env node
// Cold start of the acct CLI next to bare Node and curl: wall time (median, min) and CPU time of N fresh processes.
//
//   node scripts/bench/cli-startup.mjs [URL] [--runs N]      (ACCT_TOKEN in the environment)
//
// Without URL (or without ACCT_TOKEN) only `acct --version` and `node -e 0` are measured.
// scripts/bench/run.mjs imports measureCliStartup({ url, token, runs }) and gets the numbers.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'packages/cli/dist/bin.js');

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * CPU time (user + system, ms) of the children this process has waited for, from /proc on Linux
 * (cutime + cstime, in clock ticks of 10 ms); null elsewhere. CPU time barely moves when the
 * machine is busy, unlike wall time.
 */
function childrenCpuMs() {
  try {
    const fields = fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
    return (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return null;
  }
}

const round = (n) => (n === null ? null : Math.round(n * 10) / 10);

/** Runs a command `runs` times (after one warm-up for the OS file cache): wall and CPU milliseconds. */
function time(cmd, args, env, runs) {
  const wall = [];
  const cpu = [];
  for (let i = 0; i <= runs; i++) {
    const cpuBefore = childrenCpuMs();
    const start = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    const cpuAfter = childrenCpuMs();
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    if (i === 0) continue;
    wall.push(ms);
    if (cpuBefore !== null && cpuAfter !== null) cpu.push(cpuAfter - cpuBefore);
  }
  return { medianMs: round(median(wall)), minMs: round(Math.min(...wall)), cpuMs: cpu.length ? round(cpu.reduce((a, b) => a + b, 0) / cpu.length) : null, runs };
}

/**
 * Cold-start figures of `acct --version` and `acct call /api/user/me` (with the token as
 * ACCT_TOKEN), next to `node -e 0` and curl making the same request.
 * @example const rows = await measureCliStartup({ url: 'http://127.0.0.1:3000', token: process.env.ACCT_TOKEN, runs: 20 });
 */
export async function measureCliStartup({ url, token, runs = 20 } = {}) {
  if (!fs.existsSync(BIN)) throw new Error(`${BIN} is missing: run pnpm run build`);
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'acct-bench-'));
  const env = { PATH: process.env.PATH ?? '', HOME: home, XDG_CONFIG_HOME: path.join(home, 'config'), DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent' };
  const node = process.execPath;
  const rows = [
    { name: 'node -e 0', ...time(node, ['-e', '0'], env, runs) },
    { name: 'acct --version', ...time(node, [BIN, '--version'], env, runs) },
  ];
  if (url && token) {
    const withToken = { ...env, ACCT_TOKEN: token, ACCT_HOST: url };
    rows.push({ name: 'acct call /api/user/me', ...time(node, [BIN, 'call', '/api/user/me'], withToken, runs) });
    rows.push({ name: 'curl /api/user/me', ...time('curl', ['-sf', '-o', '/dev/null', '-H', `Authorization: Bearer ${token}`, `${url}/api/user/me`], env, runs) });
  }
  fs.rmSync(home, { recursive: true, force: true });
  return rows;
}

/** The rows as a small Markdown table. */
export function formatTable(rows) {
  const lines = ['| command | median wall ms | min wall ms | mean CPU ms (user+sys) | runs |', '|---|---:|---:|---:|---:|'];
  for (const r of rows) lines.push(`| \`${r.name}\` | ${r.medianMs} | ${r.minMs} | ${r.cpuMs ?? 'n/a'} | ${r.runs} |`);
  return lines.join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const runsAt = args.indexOf('--runs');
  const runs = runsAt >= 0 ? Number(args.splice(runsAt, 2)[1]) : 20;
  const url = args[0];
  const token = process.env.ACCT_TOKEN;
  if (url && !token) console.error('cli-startup: ACCT_TOKEN is not set; measuring only --version');
  const rows = await measureCliStartup({ url, token, runs });
  console.log(formatTable(rows));
}
