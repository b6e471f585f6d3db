// Server CPU time per request for GET /api/user/me (PAT, cookie, bad key) and a bare Express
// route, from /proc: steadier than req/s on a busy machine. `node scripts/bench/cpu-per-request.mjs`
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, SERVER_FLAGS, SERVER_MAIN, benchUser, call, cannon, cpuSecondsOf, startListening } from './lib.mjs';

const DURATION = Number(process.env.BENCH_DURATION ?? 4);
const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: '0', HOST: '127.0.0.1', ACCT_RATE_LIMITS: 'off' };

async function perRequest(server, opts, expectStatus = 200) {
  await cannon({ ...opts, duration: 1 }, { expectStatus });
  const before = cpuSecondsOf(server.child.pid);
  const r = await cannon({ ...opts, duration: DURATION }, { expectStatus });
  const cpu = cpuSecondsOf(server.child.pid) - before;
  return { rps: r.rps, cpuUs: (cpu / (r.rps * DURATION)) * 1e6 };
}

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'acct-cpu-'));
const acct = await startListening('acct', [...SERVER_FLAGS, SERVER_MAIN], { ...env, ACCT_DATA_DIR: dataDir });
const { cookie, pat } = await benchUser(acct.url, 'cpu');
const me = await call(`${acct.url}/api/user/me`, { headers: { 'x-api-key': pat } });
const bare = await startListening('bare', [path.join(ROOT, 'scripts/bench/bare-server.mjs')], { ...env, BENCH_BODY: JSON.stringify(me.json) });

const rows = [
  ['bare', await perRequest(bare, { url: `${bare.url}/api/user/me`, connections: 10 })],
  ['PAT', await perRequest(acct, { url: `${acct.url}/api/user/me`, connections: 10, headers: { 'x-api-key': pat } })],
  ['cookie', await perRequest(acct, { url: `${acct.url}/api/user/me`, connections: 10, headers: { cookie } })],
  ['bad checksum', await perRequest(acct, { url: `${acct.url}/api/user/me`, connections: 10, headers: { 'x-api-key': pat.slice(0, -1) + (pat.at(-1) === 'A' ? 'B' : 'A') } }, 401)],
];
const base = rows[0][1].cpuUs;
for (const [name, r] of rows) console.log(`${name.padEnd(14)} ${Math.round(r.rps).toString().padStart(6)} req/s  ${r.cpuUs.toFixed(0).padStart(4)} µs CPU/req  ${(base / r.cpuUs).toFixed(2)}× bare`);
await acct.stop();
await bare.stop();
fs.rmSync(dataDir, { recursive: true, force: true });
