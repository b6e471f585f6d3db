// Instructions per request (valgrind callgrind) for GET /api/user/me, PAT and cookie, against a
// bare Express route answering the same body: a count that does not move with the load of a
// shared machine, unlike req/s or CPU time. Each server runs under callgrind; after a warm-up the
// counters are zeroed, N requests are sent, and the counters dumped. Optional: BENCH_IR_REQUESTS
// (measured requests, default 1500), BENCH_IR_WARMUP (3000), BENCH_IR_KEEP=1 (keep the dumps,
// for callgrind_annotate), BENCH_IR_INTROSPECT=1 (also POST /oauth2/introspect by a confidential
// client about an OAuth access token, against the PAT `/me`: issue 15's ratio, by instructions).
// `node scripts/bench/instructions-per-request.mjs`
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, SERVER_FLAGS, SERVER_MAIN as BUILT_MAIN, benchUser, call, startListening } from './lib.mjs';
import { REDIRECT, basic, form, mintCode } from './oauth.mjs';

// BENCH_IR_SERVER_MAIN: another build's dist/main.js (a before/after comparison).
const SERVER_MAIN = process.env.BENCH_IR_SERVER_MAIN || BUILT_MAIN;
const REQUESTS = Number(process.env.BENCH_IR_REQUESTS ?? 1500);
const WARMUP = Number(process.env.BENCH_IR_WARMUP ?? 3000);
const CONCURRENCY = 4;
const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'acct-ir-'));
const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: '0', HOST: '127.0.0.1', ACCT_RATE_LIMITS: 'off' };

/** Servers under valgrind: killed when this script ends, however it ends. */
const running = new Set();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Starts `node args` under callgrind (collection on, so JIT code is seen as it is made). */
function underCallgrind(label, args, extraEnv) {
  const child = spawn('valgrind', [
    '--tool=callgrind', '--smc-check=all-non-file', '--instr-atstart=no', `--vgdb-prefix=${outDir}/vgdb`, `--callgrind-out-file=${outDir}/${label}.%p`, process.execPath, ...args,
  ], { env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out = (out + d).slice(-20_000)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${label} did not start under callgrind:\n${out}`)), 600_000);
    child.stdout.on('data', () => {
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1], child, pid: child.pid });
      }
    });
    child.once('exit', (code) => reject(new Error(`${label} exited (${code}):\n${out}`)));
  });
}

async function drive(url, headers, n, expectStatus = 200, init = {}) {
  let next = 0;
  const worker = async () => {
    while (next < n) {
      next++;
      const res = await fetch(url, { headers, ...init });
      await res.arrayBuffer();
      if (res.status !== expectStatus) throw new Error(`${url} answered ${res.status}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

/**
 * Sends callgrind a command. Valgrind reads commands only while the process runs, so an idle
 * server is woken by one request (`poke`); its cost lands after the command took effect.
 */
async function command(server, args, poke) {
  const done = new Promise((resolve, reject) => {
    // Our own vgdb prefix: the shared /tmp one is cleaned by other processes on a busy machine.
    // vgdb names its pipes after $USER and $HOST: callgrind_control must see the server's values.
    const child = spawn('callgrind_control', [`--vgdb-prefix=${outDir}/vgdb`, ...args, String(server.pid)], { stdio: 'ignore', env: { PATH: env.PATH, HOST: env.HOST } });
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`callgrind_control ${args.join(' ')} exited ${code}`))));
  });
  let finished = false;
  done.then(() => (finished = true), () => (finished = true));
  while (!finished) {
    await new Promise((r) => setTimeout(r, 200));
    if (!finished) await poke();
  }
  await done;
}

/** Ir of the process since the last zeroing, from a fresh dump. */
async function instructions(server, poke) {
  const before = new Set(fs.readdirSync(outDir));
  await command(server, ['-d'], poke);
  for (let waited = 0; waited < 900_000; waited += 250) {
    const file = fs.readdirSync(outDir).find((f) => !before.has(f) && f.startsWith(`${server.label}.`));
    const m = file && /^(?:totals|summary):\s+(\d+)/m.exec(fs.readFileSync(path.join(outDir, file), 'utf8'));
    if (m && Number(m[1]) === 0) throw new Error('callgrind counted nothing: instrumentation never came on');
    if (m) return Number(m[1]);
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('callgrind wrote no dump');
}

async function measure(server, url, headers, expectStatus, init = {}) {
  const say = (what) => process.stderr.write(`${new Date().toISOString()} ${server.label}: ${what}\n`);
  const poke = () => drive(url, headers, 1, expectStatus, init);
  await command(server, ['-i', 'on'], poke);
  say('warming up');
  await drive(url, headers, WARMUP, expectStatus, init);
  await command(server, ['-z'], poke);
  say('measuring');
  await drive(url, headers, REQUESTS, expectStatus, init);
  say('dumping');
  return (await instructions(server, poke)) / REQUESTS;
}

// Accounts and keys are made by a server outside valgrind (Argon2 under valgrind takes minutes).
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'acct-ir-data-'));
const setup = await startListening('acct (setup)', [...SERVER_FLAGS, SERVER_MAIN], { ...env, ACCT_DATA_DIR: dataDir });
const { cookie, pat } = await benchUser(setup.url, 'ir');
const me = await call(`${setup.url}/api/user/me`, { headers: { 'x-api-key': pat } });
let introspection = null;
if (process.env.BENCH_IR_INTROSPECT === '1') {
  const reg = await call(`${setup.url}/oauth2/register`, { method: 'POST', body: { client_name: 'Bench App', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'client_secret_basic' } });
  const client = { id: reg.json.client_id, secret: reg.json.client_secret };
  const minted = await mintCode(setup.url, client, cookie);
  const tokens = (await form(`${setup.url}/oauth2/token`, { grant_type: 'authorization_code', code: minted.code, code_verifier: minted.verifier, redirect_uri: REDIRECT }, client)).json;
  introspection = {
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(client) },
    init: { method: 'POST', body: new URLSearchParams({ token: tokens.access_token }).toString() },
  };
}
await setup.stop();
const acct = { label: 'acct', ...(await underCallgrind('acct', [...SERVER_FLAGS, SERVER_MAIN], { ACCT_DATA_DIR: dataDir })) };

const pIr = await measure(acct, `${acct.url}/api/user/me`, { 'x-api-key': pat });
const cIr = await measure(acct, `${acct.url}/api/user/me`, { cookie });
const iIr = introspection && (await measure(acct, `${acct.url}/oauth2/introspect`, introspection.headers, 200, introspection.init));
acct.child.kill('SIGKILL');
const bare = { label: 'bare', ...(await underCallgrind('bare', [path.join(ROOT, 'scripts/bench/bare-server.mjs')], { BENCH_BODY: JSON.stringify(me.json) })) };
const bIr = await measure(bare, `${bare.url}/api/user/me`, {});
bare.child.kill('SIGKILL');

const k = (n) => `${(n / 1000).toFixed(0)}k`;
console.log(`instructions per request (callgrind, ${REQUESTS} requests after ${WARMUP} warm-up, ${CONCURRENCY} connections)`);
console.log(`bare Express      ${k(bIr).padStart(6)} Ir  1.00× bare`);
console.log(`/me with a PAT    ${k(pIr).padStart(6)} Ir  ${(bIr / pIr).toFixed(2)}× bare`);
console.log(`/me with a cookie ${k(cIr).padStart(6)} Ir  ${(bIr / cIr).toFixed(2)}× bare`);
if (iIr) console.log(`introspection    ${k(iIr).padStart(6)} Ir  ${(bIr / iIr).toFixed(2)}× bare, ${(pIr / iIr).toFixed(2)}× PAT /me`);
if (process.env.BENCH_IR_KEEP === '1') console.log(`dumps: ${outDir}`);
else fs.rmSync(outDir, { recursive: true, force: true });
fs.rmSync(dataDir, { recursive: true, force: true });
