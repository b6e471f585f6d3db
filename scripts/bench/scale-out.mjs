// The scale-out part of `pnpm bench`: the same authenticated GET /api/user/me on PostgreSQL,
// single instance and three instances on one database and one Redis (a load balancer's
// round-robin is modelled by one autocannon per instance, run at the same time).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { SERVER_FLAGS, SERVER_MAIN, call, cannon, cpuSecondsOf, serverRequire, startListening, PG_ADMIN, withPgAdmin } from './lib.mjs';



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

/** The PostgreSQL backends serving one database (the instances' pool connections). */
async function backendsOf(database) {
  return withPgAdmin(async (admin) => (await admin.query('SELECT pid FROM pg_stat_activity WHERE datname = $1', [database])).rows.map((r) => r.pid));
}

/** The Redis server's pid (INFO server), or null when it cannot be read. */
async function redisPid(url) {
  const { createClient } = serverRequire('redis');
  const client = createClient({ url });
  try {
    await client.connect();
    const info = await client.info('server');
    return Number(/process_id:(\d+)/.exec(info)?.[1]) || null;
  } catch {
    return null;
  } finally {
    client.destroy();
  }
}

/**
 * CPU seconds of a set of processes between two samples: `before` maps pid → seconds; a pid that
 * appeared meanwhile counts from zero (a PostgreSQL backend started during the run).
 */
function cpuSince(before, pids) {
  let sum = 0;
  for (const pid of new Set([...before.keys(), ...pids])) {
    const now = cpuSecondsOf(pid);
    if (now !== null) sum += now - (before.get(pid) ?? 0);
  }
  return sum;
}

/**
 * Runs autocannon against every instance at once; sums req/s, keeps the worst p99. CPU per request
 * counts every process a request costs: the instances, and (`extra()`: their PostgreSQL backends
 * and Redis) when given.
 */
async function together(instances, opts, { duration, warmup }, extra = async () => []) {
  const each = Math.max(1, Math.round(opts.connections / instances.length));
  if (warmup > 0) await Promise.all(instances.map((s) => cannon({ ...opts, url: `${s.url}/api/user/me`, connections: each, duration: warmup })));
  const pidsBefore = [...instances.map((s) => s.pid), ...(await extra())];
  const before = new Map(pidsBefore.map((pid) => [pid, cpuSecondsOf(pid)]));
  const instanceBefore = instances.map((s) => cpuSecondsOf(s.pid));
  const results = await Promise.all(instances.map((s) => cannon({ ...opts, url: `${s.url}/api/user/me`, connections: each, duration })));
  const instanceCpu = instances.reduce((sum, s, i) => sum + (cpuSecondsOf(s.pid) - instanceBefore[i]), 0);
  const cpu = cpuSince(before, [...instances.map((s) => s.pid), ...(await extra())]);
  const total = results.reduce((sum, r) => sum + r.total, 0);
  return {
    rps: results.reduce((sum, r) => sum + r.rps, 0), p99: Math.max(...results.map((r) => r.p99)), total,
    cpuUs: (cpu * 1e6) / total, instanceCpuUs: (instanceCpu * 1e6) / total,
  };
}

/**
 * Measures /me with a PAT and a cookie on PostgreSQL: one instance, then three instances on the
 * same database and Redis. Returns rows: { setup, credential, rps, p99, cpuUs }.
 */
export async function measureScaleOut({ connections = 20, duration = 10, warmup = 3, baseEnv = {}, log = () => {} } = {}) {
  const name = `acct_bench_${randomBytes(5).toString('hex')}`;
  await withPgAdmin((admin) => admin.query(`CREATE DATABASE ${name} TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'`));
  const url = new URL(PG_ADMIN);
  url.pathname = `/${name}`;
  const env = {
    ...baseEnv, PORT: '0', HOST: '127.0.0.1', DATABASE_URL: url.toString(), REDIS_URL: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
    ACCT_RATE_LIMITS: 'off', ACCT_DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'acct-bench-pg-')),
  };
  const instances = [];
  const rows = [];
  const redis = await redisPid(env.REDIS_URL);
  const extra = async () => [...(await backendsOf(name)), ...(redis ? [redis] : [])];
  const describe = (label, credential, r) =>
    log(`${label}, ${credential}: ${Math.round(r.rps)} req/s, p99 ${r.p99} ms, ${Math.round(r.cpuUs)} µs CPU/request with PostgreSQL and Redis (instances alone ${Math.round(r.instanceCpuUs)} µs)`);
  try {
    instances.push(await startListening('acct on PostgreSQL', [...SERVER_FLAGS, SERVER_MAIN], env));
    const { cookie, pat } = await credentials(instances[0].url);
    for (const headers of [{ 'x-api-key': pat }, { cookie }]) await call(`${instances[0].url}/api/user/me`, { headers });
    for (const [credential, headers] of [['PAT', { 'x-api-key': pat }], ['cookie', { cookie }]]) {
      const r = await together(instances, { connections, headers }, { duration, warmup }, extra);
      rows.push({ setup: 'PostgreSQL + Redis, 1 instance', credential, ...r });
      describe('PostgreSQL + Redis, 1 instance', credential, r);
    }
    instances.push(...(await Promise.all([startListening('acct #2', [...SERVER_FLAGS, SERVER_MAIN], env), startListening('acct #3', [...SERVER_FLAGS, SERVER_MAIN], env)])));
    // A key's first use on an instance pays for one Argon2 verification: not what is measured, and on
    // a busy machine it can outlast a short warm-up.
    for (const s of instances) for (const headers of [{ 'x-api-key': pat }, { cookie }]) await call(`${s.url}/api/user/me`, { headers });
    for (const [credential, headers] of [['PAT', { 'x-api-key': pat }], ['cookie', { cookie }]]) {
      const r = await together(instances, { connections, headers }, { duration, warmup }, extra);
      rows.push({ setup: 'PostgreSQL + Redis, 3 instances', credential, ...r });
      describe('PostgreSQL + Redis, 3 instances', credential, r);
    }
  } finally {
    for (const s of instances) await s.stop();
    await withPgAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).catch(() => {});
    fs.rmSync(env.ACCT_DATA_DIR, { recursive: true, force: true });
  }
  return rows;
}

/** The same /me on one SQLite instance (no Redis): what the PostgreSQL rows are compared with. */
export async function measureSqlite({ connections = 20, duration = 10, warmup = 3, baseEnv = {}, log = () => {} } = {}) {
  const env = { ...baseEnv, PORT: '0', HOST: '127.0.0.1', ACCT_RATE_LIMITS: 'off', ACCT_DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'acct-bench-sqlite-')) };
  const instance = await startListening('acct on SQLite', [...SERVER_FLAGS, SERVER_MAIN], env);
  const rows = [];
  try {
    const { cookie, pat } = await credentials(instance.url);
    for (const headers of [{ 'x-api-key': pat }, { cookie }]) await call(`${instance.url}/api/user/me`, { headers });
    for (const [credential, headers] of [['PAT', { 'x-api-key': pat }], ['cookie', { cookie }]]) {
      const r = await together([instance], { connections, headers }, { duration, warmup });
      rows.push({ setup: 'SQLite, 1 instance', credential, ...r });
      log(`SQLite, 1 instance, ${credential}: ${Math.round(r.rps)} req/s, p99 ${r.p99} ms, ${Math.round(r.cpuUs)} µs CPU/request`);
    }
  } finally {
    await instance.stop();
    fs.rmSync(env.ACCT_DATA_DIR, { recursive: true, force: true });
  }
  return rows;
}

/** Issue 14's targets against the SQLite rows of the same run: [target, measured, met]. */
export function scaleTargets(sqliteRows, scaleRows) {
  const sqlite = (credential) => sqliteRows.find((r) => r.credential === credential);
  const out = [];
  for (const credential of ['PAT', 'cookie']) {
    const base = sqlite(credential);
    const one = scaleRows.find((r) => r.setup.includes('1 instance') && r.credential === credential);
    const three = scaleRows.find((r) => r.setup.includes('3 instances') && r.credential === credential);
    if (!base) continue;
    if (one) out.push([`PostgreSQL, 1 instance ≥ 0.8 × SQLite req/s (${credential})`, one.rps / base.rps, one.rps / base.rps >= 0.8]);
    if (three) out.push([`3 instances + Redis ≤ 1.5 × SQLite CPU/request, all processes (${credential})`, three.cpuUs / base.cpuUs, three.cpuUs / base.cpuUs <= 1.5]);
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const opts = { duration: Number(process.env.BENCH_DURATION ?? 5), warmup: 2, baseEnv: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...(process.env.ACCT_CREDENTIAL_CACHE ? { ACCT_CREDENTIAL_CACHE: process.env.ACCT_CREDENTIAL_CACHE } : {}) }, log: console.log };
  const sqliteRows = await measureSqlite(opts);
  const rows = await measureScaleOut(opts);
  console.table([...sqliteRows, ...rows].map(({ setup, credential, rps, p99, cpuUs, instanceCpuUs }) => ({ setup, credential, rps: Math.round(rps), p99, cpuUs: Math.round(cpuUs), instanceCpuUs: Math.round(instanceCpuUs) })));
  for (const [target, ratio, met] of scaleTargets(sqliteRows, rows)) console.log(`${target}: ${ratio.toFixed(2)}× ${met ? 'met' : 'MISSED'}`);
}
