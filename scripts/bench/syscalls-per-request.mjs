#!/usr/bin/env node
// System calls per request (strace -c) for GET /api/user/me, PAT and cookie, against a bare
// Express route answering the same body: with instructions-per-request.mjs (user space), the
// second count that does not depend on the machine. What a system call costs does (the Intel
// machine of issue 13 paid more per call than the AMD ones), so fewer calls per request is what
// carries a ratio from one machine to another. `node scripts/bench/syscalls-per-request.mjs`
// (BENCH_SYSCALL_REQUESTS, default 5000, after a 3000-request warm-up; 10 connections).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, SERVER_FLAGS, SERVER_MAIN, benchUser, call, serverRequire, startListening } from './lib.mjs';

const REQUESTS = Number(process.env.BENCH_SYSCALL_REQUESTS ?? 5000);
const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: '0', HOST: '127.0.0.1', ACCT_RATE_LIMITS: 'off' };
const autocannon = serverRequire('autocannon');
const send = (opts, amount) => new Promise((resolve, reject) => autocannon({ ...opts, amount, connections: 10 }, (err, r) => (err ? reject(err) : resolve(r))));

/** strace -c on every thread of `pid` while `amount` requests are sent; the calls by name. */
async function count(pid, opts, amount) {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'acct-strace-')), 'summary');
  const tracer = spawn('strace', ['-c', '-f', '-o', out, '-p', String(pid)], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 500));
  const r = await send(opts, amount);
  const done = new Promise((resolve) => tracer.once('exit', resolve));
  tracer.kill('SIGINT');
  await done;
  const calls = {};
  for (const line of fs.readFileSync(out, 'utf8').split('\n')) {
    const m = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)$/.exec(line);
    if (m && m[2] !== 'total') calls[m[2]] = Number(m[1]);
  }
  if (r.non2xx > 0) throw new Error(`${r.non2xx} answers were not 2xx`);
  return { calls, requests: r.requests.total };
}

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'acct-syscalls-'));
const s = await startListening('acct', [...SERVER_FLAGS, SERVER_MAIN], { ...env, ACCT_DATA_DIR: dataDir });
const { cookie, pat } = await benchUser(s.url, 'sys');
const body = (await call(`${s.url}/api/user/me`, { headers: { 'x-api-key': pat } })).json;
const bare = await startListening('bare', [path.join(ROOT, 'scripts/bench/bare-server.mjs')], { ...env, BENCH_BODY: JSON.stringify(body) });

const targets = [
  ['bare Express', bare.child.pid, { url: `${bare.url}/api/user/me` }],
  ['/me with a PAT', s.child.pid, { url: `${s.url}/api/user/me`, headers: { 'x-api-key': pat } }],
  ['/me with a cookie', s.child.pid, { url: `${s.url}/api/user/me`, headers: { cookie } }],
];
const rows = [];
for (const [name, pid, opts] of targets) {
  await send(opts, 3000);
  const { calls, requests } = await count(pid, opts, REQUESTS);
  const total = Object.values(calls).reduce((a, b) => a + b, 0);
  const top = Object.entries(calls).sort((a, b) => b[1] - a[1]).slice(0, 6).map(([k, v]) => `${k} ${(v / requests).toFixed(2)}`).join(', ');
  rows.push(`${name.padEnd(18)} ${(total / requests).toFixed(2).padStart(6)} calls per request  (${top})`);
}
console.log(`system calls per request (strace -c -f, ${REQUESTS} requests after 3000, 10 connections)`);
for (const r of rows) console.log(r);
await s.stop();
await bare.stop();
fs.rmSync(dataDir, { recursive: true, force: true });
