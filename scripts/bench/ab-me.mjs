// A/B of server CPU per authenticated /me request between server variants (env sets), alternating
// turns against a bare Express route: `node scripts/bench/ab-me.mjs` (BENCH_AB='{"name":{ENV}}').
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, SERVER_FLAGS, SERVER_MAIN, benchUser, call, cannon, cpuSecondsOf, startListening } from './lib.mjs';

const DURATION = Number(process.env.BENCH_DURATION ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const variants = JSON.parse(process.env.BENCH_AB ?? '{"default":{}}');
const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: '0', HOST: '127.0.0.1', ACCT_RATE_LIMITS: 'off' };

async function perRequest(pid, opts) {
  await cannon({ ...opts, duration: 0.5 });
  const before = cpuSecondsOf(pid);
  const r = await cannon({ ...opts, duration: DURATION });
  return ((cpuSecondsOf(pid) - before) / (r.rps * DURATION)) * 1e6;
}
const targets = [];
let body;
for (const [name, extra] of Object.entries(variants)) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'acct-ab-'));
  const { MAIN, ...rest } = extra;
  const s = await startListening(name, [...SERVER_FLAGS, MAIN ?? SERVER_MAIN], { ...env, ACCT_DATA_DIR: dataDir, ...rest });
  const { cookie, pat } = await benchUser(s.url, 'ab');
  body ??= (await call(`${s.url}/api/user/me`, { headers: { 'x-api-key': pat } })).json;
  targets.push({ name: `${name} PAT`, pid: s.child.pid, opts: { url: `${s.url}/api/user/me`, connections: Number(process.env.BENCH_CONNECTIONS ?? 10), headers: { 'x-api-key': pat } }, us: [] });
  targets.push({ name: `${name} cookie`, pid: s.child.pid, opts: { url: `${s.url}/api/user/me`, connections: Number(process.env.BENCH_CONNECTIONS ?? 10), headers: { cookie } }, us: [] });
}
const bare = await startListening('bare', [path.join(ROOT, 'scripts/bench/bare-server.mjs')], { ...env, BENCH_BODY: JSON.stringify(body) });
const bareT = { name: 'bare', pid: bare.child.pid, opts: { url: `${bare.url}/api/user/me`, connections: Number(process.env.BENCH_CONNECTIONS ?? 10) }, us: [] };
for (let r = 0; r < ROUNDS; r++) for (const t of [bareT, ...targets]) t.us.push(await perRequest(t.pid, t.opts));
const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
for (const t of [bareT, ...targets]) console.log(`${t.name.padEnd(22)} ${med(t.us).toFixed(0).padStart(5)} µs CPU/req  ${(med(bareT.us) / med(t.us)).toFixed(2)}× bare   [${t.us.map((u) => u.toFixed(0)).join(' ')}]`);
process.exit(0);
