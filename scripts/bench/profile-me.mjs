// Profiles one scenario of the benchmark: starts the built server under `node --cpu-prof`, drives
// GET /api/user/me (BENCH_PROFILE_CREDENTIAL = pat | cookie | bad-checksum | oauth) or
// POST /oauth2/introspect (introspect: a confidential client asks about an OAuth access token) for
// BENCH_DURATION s, stops the server and prints the top self-time functions and the profile's path.
// BENCH_PROFILE_PERF=1 samples with Linux `perf` instead (`--perf-basic-prof`; V8's sampling
// profiler over-counts functions that make system calls): prints `perf report`'s top symbols.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, execFileSync } from 'node:child_process';
import { SERVER_FLAGS, SERVER_MAIN, benchUser, call, cannon, fmtInt, startListening } from './lib.mjs';
import { REDIRECT, basic, form, mintCode } from './oauth.mjs';

const DURATION = Number(process.env.BENCH_DURATION ?? 8);
const credential = process.env.BENCH_PROFILE_CREDENTIAL ?? 'pat';
const profDir = process.env.BENCH_PROFILE_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), 'acct-prof-'));
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'acct-bench-'));
const usePerf = process.env.BENCH_PROFILE_PERF === '1';
// BENCH_PROFILE_SPLIT=1: no profiler; prints the server's user and system CPU per request.
const split = process.env.BENCH_PROFILE_SPLIT === '1';
const server = await startListening('acct server', [...SERVER_FLAGS, ...(usePerf ? ['--perf-basic-prof'] : split ? [] : ['--cpu-prof', `--cpu-prof-dir=${profDir}`]), SERVER_MAIN], {
  PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: '0', HOST: '127.0.0.1', ACCT_DATA_DIR: dataDir, ACCT_RATE_LIMITS: 'off',
});
const { url } = server;
const { cookie, pat } = await benchUser(url, 'bench');
let target = { url: `${url}/api/user/me` };
if (credential === 'oauth' || credential === 'introspect') {
  const reg = await call(`${url}/oauth2/register`, { method: 'POST', body: { client_name: 'Bench App', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'client_secret_basic' } });
  const client = { id: reg.json.client_id, secret: reg.json.client_secret };
  const minted = await mintCode(url, client, cookie);
  const tokens = (await form(`${url}/oauth2/token`, { grant_type: 'authorization_code', code: minted.code, code_verifier: minted.verifier, redirect_uri: REDIRECT }, client)).json;
  target = credential === 'oauth'
    ? { url: `${url}/api/user/me`, headers: { authorization: `Bearer ${tokens.access_token}` } }
    : { url: `${url}/oauth2/introspect`, method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(client) }, body: new URLSearchParams({ token: tokens.access_token }).toString() };
} else {
  target.headers = { pat: { 'x-api-key': pat }, cookie: { cookie }, 'bad-checksum': { 'x-api-key': pat.slice(0, -1) + (pat.at(-1) === 'A' ? 'B' : 'A') } }[credential];
}
const expectStatus = credential === 'bad-checksum' ? 401 : 200;
let recorder = null;
if (usePerf) {
  await cannon({ ...target, connections: 20, duration: 2 }, { expectStatus });
  recorder = spawn('perf', ['record', '-F', '1999', '-o', path.join(profDir, 'perf.data'), '-p', String(server.pid)], { stdio: 'ignore' });
}
const ticks = () => fs.readFileSync(`/proc/${server.pid}/stat`, 'utf8').split(') ')[1].split(' ').slice(11, 13).map(Number);
if (split) await cannon({ ...target, connections: 20, duration: 2 }, { expectStatus });
const [user0, sys0] = ticks();
const r = await cannon({ ...target, connections: 20, duration: DURATION }, { expectStatus });
const [user1, sys1] = ticks();
const perRequest = (t) => ((t * 1e6) / 100 / r.total).toFixed(1);
process.stdout.write(`${credential}: ${fmtInt(r.rps)} req/s${split ? `, user ${perRequest(user1 - user0)} µs + system ${perRequest(sys1 - sys0)} µs of CPU per request` : ''}\n`);
if (split) {
  await server.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
  process.exit(0);
}
if (recorder) {
  recorder.kill('SIGINT');
  await new Promise((resolve) => recorder.on('exit', resolve));
}
await server.stop();
fs.rmSync(dataDir, { recursive: true, force: true });
if (usePerf) {
  const report = execFileSync('perf', ['report', '-i', path.join(profDir, 'perf.data'), '--no-children', '--sort', 'dso,sym', '--stdio', '--percent-limit', '0.4'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  process.stdout.write(report.split('\n').filter((l) => l && !l.startsWith('#')).slice(0, Number(process.env.BENCH_PROFILE_TOP ?? 60)).join('\n') + '\n');
  process.exit(0);
}

const file = fs.readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile')).map((f) => path.join(profDir, f)).sort().pop();
const prof = JSON.parse(fs.readFileSync(file, 'utf8'));
const dt = new Map();
for (let i = 0; i < prof.samples.length; i++) dt.set(prof.samples[i], (dt.get(prof.samples[i]) ?? 0) + (prof.timeDeltas[i] ?? 0));
const total = [...dt.values()].reduce((a, b) => a + b, 0);
const byKey = new Map();
const where = (n) => `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/^.*node_modules\/\.pnpm\/([^/]+)\/node_modules\//, '$1: ').replace(/^file:\/\/.*\/packages\//, '')}:${n.callFrame.lineNumber + 1}`;
for (const n of prof.nodes) {
  const k = where(n);
  byKey.set(k, (byKey.get(k) ?? 0) + (dt.get(n.id) ?? 0));
}
const top = [...byKey.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.BENCH_PROFILE_TOP ?? 30));
for (const [k, v] of top) process.stdout.write(`${((v / total) * 100).toFixed(1).padStart(5)}%  ${k}\n`);
process.stdout.write(`profile: ${file}\n`);
