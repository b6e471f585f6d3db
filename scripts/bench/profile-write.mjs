// Profiles project creation with audit + outbox (an endpoint subscribed to project.created, its
// worker idle) under Linux `perf` (`--perf-basic-prof`, call graphs): prints the server's CPU per
// write and the top symbols, by thread with BENCH_PROFILE_THREADS=1. BENCH_PROFILE_NO_AUDIT=1
// profiles the benchmark baseline (ACCT_BENCH_NO_AUDIT=1) instead; BENCH_PROFILE_POSTGRES=1 runs
// on PostgreSQL. The perf data stays (BENCH_PROFILE_DIR) for `perf report --children`, e.g. how
// much of a write is under `record` or `flushSqlite` (docs/benchmarks.md "Session 14").
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { PG_ADMIN, SERVER_FLAGS, SERVER_MAIN, benchUser, call, cannon, cpuSecondsOf, fmtInt, startListening, withPgAdmin } from './lib.mjs';

const DURATION = Number(process.env.BENCH_DURATION ?? 8);
const profDir = process.env.BENCH_PROFILE_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), 'acct-prof-'));
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'acct-bench-'));
const noAudit = process.env.BENCH_PROFILE_NO_AUDIT === '1';
// BENCH_PROFILE_POSTGRES=1: on a PostgreSQL database of its own (BENCH_PG_URL's server) and Redis.
const database = process.env.BENCH_PROFILE_POSTGRES === '1' ? `acct_profile_${randomBytes(5).toString('hex')}` : null;
const dbEnv = {};
if (database) {
  await withPgAdmin((admin) => admin.query(`CREATE DATABASE ${database} TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'`));
  const pgUrl = new URL(PG_ADMIN);
  pgUrl.pathname = `/${database}`;
  Object.assign(dbEnv, { DATABASE_URL: pgUrl.toString(), REDIS_URL: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379' });
}
const server = await startListening('acct server', [...SERVER_FLAGS, '--perf-basic-prof', SERVER_MAIN], {
  PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: '0', HOST: '127.0.0.1', ACCT_DATA_DIR: dataDir, ACCT_RATE_LIMITS: 'off',
  NODE_ENV: 'benchmark', ACCT_WEBHOOKS_ALLOW_PRIVATE: 'true', ACCT_WEBHOOK_POLL_MS: '3600000', ...(noAudit ? { ACCT_BENCH_NO_AUDIT: '1' } : {}), ...dbEnv,
});
const { url } = server;
const { cookie } = await benchUser(url, 'bench');
const org = (await call(`${url}/api/user/organizations`, { headers: { cookie } })).json.data[0].id;
await call(`${url}/api/user/organizations/${org}/payments`, { method: 'POST', headers: { cookie, 'idempotency-key': 'bench' }, body: { amount: 1_000_000 } });
if (!noAudit) await call(`${url}/api/user/organizations/${org}/webhooks`, { method: 'POST', headers: { cookie }, body: { url: 'http://127.0.0.1:9/hook', events: ['project.created'] } });
const target = { url: `${url}/api/user/organizations/${org}/projects`, method: 'POST', connections: 10, headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'bench project' }) };
await cannon({ ...target, duration: 4 }, { expectStatus: 201 });
const recorder = spawn('perf', ['record', '-F', '1999', '-g', '-o', path.join(profDir, 'perf.data'), '-p', String(server.pid)], { stdio: 'ignore' });
await new Promise((r) => setTimeout(r, 300));
const cpu0 = cpuSecondsOf(server.pid);
const r = await cannon({ ...target, duration: DURATION }, { expectStatus: 201 });
const cpu1 = cpuSecondsOf(server.pid);
recorder.kill('SIGINT');
await new Promise((resolve) => recorder.on('exit', resolve));
await server.stop();
fs.rmSync(dataDir, { recursive: true, force: true });
if (database) await withPgAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
process.stdout.write(`${noAudit ? 'baseline' : 'audit + outbox'}: ${fmtInt(r.rps)} writes/s, ${Math.round(((cpu1 - cpu0) * 1e6) / r.total)} µs of CPU each (perf running)\nperf data: ${path.join(profDir, 'perf.data')}\n`);
const sort = process.env.BENCH_PROFILE_THREADS === '1' ? 'comm,dso,sym' : 'dso,sym';
const report = execFileSync('perf', ['report', '-i', path.join(profDir, 'perf.data'), '--no-children', '--sort', sort, '--stdio', '--percent-limit', '0.4', '-g', 'none'], { encoding: 'utf8', maxBuffer: 64 << 20 });
process.stdout.write(report.split('\n').filter((l) => l && !l.startsWith('#')).slice(0, Number(process.env.BENCH_PROFILE_TOP ?? 60)).join('\n') + '\n');
