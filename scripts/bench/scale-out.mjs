// The scale-out part of `pnpm bench`: the same authenticated GET /api/user/me on PostgreSQL,
// single instance and three instances on one database and one Redis (a load balancer's
// round-robin is modelled by one autocannon per instance, run at the same time).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { SERVER_FLAGS, SERVER_MAIN, call, cannon, cpuSecondsOf, serverRequire, startListening } from './lib.mjs';

const PG_ADMIN = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function withAdmin(fn) {
  const pg = serverRequire('pg');
  const admin = new pg.Client({ connectionString: PG_ADMIN });
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.end();
  }
}

/** Signs up a user on a running instance and returns a cookie and a user:read PAT. */
async function credentials(url) {
  const email = `bench-pg-${Date.now()}@example.com`;
  const password = `Bench ${randomBytes(18).toString('base64url')}`;
  await call(`${url}/api/auth/sign-up/email`, { method: 'POST', body: { email, password, name: 'Bench User' } });
  const signIn = await call(`${url}/api/auth/sign-in/email`, { method: 'POST', body: { email, password } });
  const cookie = /((?:__Host-)?acct_session=[^;]+)/.exec(signIn.headers.get('set-cookie') ?? '')?.[1];
  const created = await call(`${url}/api/auth/api-key/create`, { method: 'POST', headers: { cookie }, body: { name: 'bench', scopes: ['user:read'] } });
  const pat = created.json?.data?.key;
  if (!cookie || typeof pat !== 'string') throw new Error(`could not set up credentials on ${url}: ${created.text}`);
  return { cookie, pat };
}

/** Runs autocannon against every instance at once; sums req/s, keeps the worst p99. */
async function together(instances, opts, { duration, warmup }) {
  const each = Math.max(1, Math.round(opts.connections / instances.length));
  if (warmup > 0) await Promise.all(instances.map((s) => cannon({ ...opts, url: `${s.url}/api/user/me`, connections: each, duration: warmup })));
  const before = instances.map((s) => cpuSecondsOf(s.pid));
  const results = await Promise.all(instances.map((s) => cannon({ ...opts, url: `${s.url}/api/user/me`, connections: each, duration })));
  const cpu = instances.reduce((sum, s, i) => sum + (cpuSecondsOf(s.pid) - before[i]), 0);
  const total = results.reduce((sum, r) => sum + r.total, 0);
  return { rps: results.reduce((sum, r) => sum + r.rps, 0), p99: Math.max(...results.map((r) => r.p99)), cpuUs: (cpu * 1e6) / total };
}

/**
 * Measures /me with a PAT and a cookie on PostgreSQL: one instance, then three instances on the
 * same database and Redis. Returns rows: { setup, credential, rps, p99, cpuUs }.
 */
export async function measureScaleOut({ connections = 20, duration = 10, warmup = 3, baseEnv = {}, log = () => {} } = {}) {
  const name = `acct_bench_${randomBytes(5).toString('hex')}`;
  await withAdmin((admin) => admin.query(`CREATE DATABASE ${name} TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'`));
  const url = new URL(PG_ADMIN);
  url.pathname = `/${name}`;
  const env = {
    ...baseEnv, PORT: '0', HOST: '127.0.0.1', DATABASE_URL: url.toString(), REDIS_URL: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
    ACCT_RATE_LIMITS: 'off', ACCT_DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'acct-bench-pg-')),
  };
  const instances = [];
  const rows = [];
  try {
    instances.push(await startListening('acct on PostgreSQL', [...SERVER_FLAGS, SERVER_MAIN], env));
    const { cookie, pat } = await credentials(instances[0].url);
    for (const [credential, headers] of [['PAT', { 'x-api-key': pat }], ['cookie', { cookie }]]) {
      const r = await together(instances, { connections, headers }, { duration, warmup });
      rows.push({ setup: 'PostgreSQL, 1 instance', credential, ...r });
      log(`PostgreSQL, 1 instance, ${credential}: ${Math.round(r.rps)} req/s, p99 ${r.p99} ms, ${Math.round(r.cpuUs)} µs CPU/request`);
    }
    instances.push(...(await Promise.all([startListening('acct #2', [...SERVER_FLAGS, SERVER_MAIN], env), startListening('acct #3', [...SERVER_FLAGS, SERVER_MAIN], env)])));
    for (const [credential, headers] of [['PAT', { 'x-api-key': pat }], ['cookie', { cookie }]]) {
      const r = await together(instances, { connections, headers }, { duration, warmup });
      rows.push({ setup: 'PostgreSQL + Redis, 3 instances', credential, ...r });
      log(`PostgreSQL + Redis, 3 instances, ${credential}: ${Math.round(r.rps)} req/s, p99 ${r.p99} ms, ${Math.round(r.cpuUs)} µs CPU/request`);
    }
  } finally {
    for (const s of instances) await s.stop();
    await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).catch(() => {});
    fs.rmSync(env.ACCT_DATA_DIR, { recursive: true, force: true });
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await measureScaleOut({ duration: Number(process.env.BENCH_DURATION ?? 5), warmup: 1, baseEnv: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' }, log: console.log });
  console.table(rows);
}
