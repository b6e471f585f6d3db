#!/usr/bin/env node
// Cold start of the acct CLI next to bare Node and curl: wall time (median, min) and CPU time of N fresh processes.
// The whole bench runs just this part with `pnpm bench --only cli` (it starts a server and mints the token).
//
//   node scripts/bench/cli-startup.mjs [URL] [--runs N] [--json]      (ACCT_TOKEN in the environment)
//
// Without URL (or without ACCT_TOKEN) only `acct --version` and `node -e 0` are measured.
// scripts/bench/run.mjs runs it as a process of its own with --json: a parent holding a large heap
// slows every process it spawns (fork copies its page tables; node -e 0 took 15 ms from a fresh
// parent, 40 ms from one holding 2 GB), which would measure the bench, not the CLI.
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

/**
 * Runs each command `runs` times, in turns (one of each, then again), after one warm-up run of
 * each (the OS file cache, Node's compile cache): wall and CPU milliseconds. In turns, a drift
 * of the machine's speed shows in every row alike instead of in one.
 */
function timeInTurns(commands, runs) {
  const results = commands.map(() => ({ wall: [], cpu: [] }));
  for (let i = 0; i <= runs; i++) {
    commands.forEach(({ cmd, args, env }, c) => {
      const cpuBefore = childrenCpuMs();
      const start = process.hrtime.bigint();
      const r = spawnSync(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      const cpuAfter = childrenCpuMs();
      if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
      if (i === 0) return;
      results[c].wall.push(ms);
      if (cpuBefore !== null && cpuAfter !== null) results[c].cpu.push(cpuAfter - cpuBefore);
    });
  }
  return commands.map(({ name }, c) => {
    const { wall, cpu } = results[c];
    return { name, medianMs: round(median(wall)), minMs: round(Math.min(...wall)), cpuMs: cpu.length ? round(cpu.reduce((a, b) => a + b, 0) / cpu.length) : null, runs };
  });
}

/** Issue 12's target: a cold `acct call /api/user/me` costs at most this much over `node -e 0`. */
export const CLI_CALL_OVER_NODE_MS = 50;

/**
 * The cost of a cold `acct call` over bare Node, from rows of measureCliStartup: by median wall
 * time and by mean CPU time (which other load on the machine moves less); null without the row.
 */
export function cliCallOverNode(rows) {
  const node = rows.find((r) => r.name === 'node -e 0');
  const acctCall = rows.find((r) => r.name === 'acct call /api/user/me');
  if (!node || !acctCall) return null;
  const wallMs = round(acctCall.medianMs - node.medianMs);
  const cpuMs = node.cpuMs !== null && acctCall.cpuMs !== null ? round(acctCall.cpuMs - node.cpuMs) : null;
  return { wallMs, cpuMs, met: wallMs <= CLI_CALL_OVER_NODE_MS, metByCpu: cpuMs !== null && cpuMs <= CLI_CALL_OVER_NODE_MS };
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
  const commands = [
    { name: 'node -e 0', cmd: node, args: ['-e', '0'], env },
    { name: 'acct --version', cmd: node, args: [BIN, '--version'], env },
  ];
  if (url && token) {
    const withToken = { ...env, ACCT_TOKEN: token, ACCT_HOST: url };
    commands.push({ name: 'acct call /api/user/me', cmd: node, args: [BIN, 'call', '/api/user/me'], env: withToken });
    commands.push({ name: 'curl /api/user/me', cmd: 'curl', args: ['-sf', '-o', '/dev/null', '-H', `Authorization: Bearer ${token}`, `${url}/api/user/me`], env });
  }
  const rows = timeInTurns(commands, runs);
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
  const jsonAt = args.indexOf('--json');
  if (jsonAt >= 0) args.splice(jsonAt, 1);
  const url = args[0];
  const token = process.env.ACCT_TOKEN;
  if (url && !token) console.error('cli-startup: ACCT_TOKEN is not set; measuring only --version');
  const rows = await measureCliStartup({ url, token, runs });
  if (jsonAt >= 0) {
    process.stdout.write(`${JSON.stringify(rows)}\n`);
    process.exit(0);
  }
  console.log(formatTable(rows));
  const over = cliCallOverNode(rows);
  if (over) console.log(`\nacct call over node -e 0: ${over.wallMs} ms wall (median), ${over.cpuMs ?? '?'} ms CPU (mean); target ≤ ${CLI_CALL_OVER_NODE_MS} ms`);
}
