#!/usr/bin/env node
// The audit log's and the webhook outbox's cost (issue 18), for `pnpm bench` section 6, or alone:
// `node scripts/bench/webhooks.mjs` prints the figures (BENCH_WEBHOOKS_DIALECTS=sqlite,postgres; BENCH_WEBHOOKS_WRITES=project
// leaves out key creation, whose Argon2id hash makes its turns long and noisy; BENCH_WEBHOOKS_AA=1
// starts the measured server without audit too, an A/A run that shows how far turns move by chance).
//
// - Key creation and project creation (at its default cost of one credit: debit, ledger entry,
//   insert), each with audit + outbox (an endpoint subscribed to the event, so every write also
//   queues a delivery; the server's flush of the audit outbox, every ACCT_AUDIT_FLUSH_MS or
//   BENCH_AUDIT_FLUSH_MS, runs meanwhile and is counted) against a server started as the benchmark baseline without them
//   (ACCT_BENCH_NO_AUDIT=1), both with NODE_ENV=benchmark, measured in alternating turns, on
//   SQLite and on PostgreSQL (a database each, from BENCH_PG_URL's server; the whole PostgreSQL
//   server's CPU counts with acct's: backends, WAL writer, checkpointer, autovacuum). The machine is shared: each turn gives one ratio (CPU per write
//   with / without) and the figure is the median of the turns. The worker of the measured server
//   is idle (ACCT_WEBHOOK_POLL_MS=1 h): the figure is the cost of the write, not of sending.
//   BENCH_WEBHOOKS_TURNS=together loads both servers at once in each turn instead (`runTogether`:
//   on PostgreSQL each side's own backends apart, the rest of the cluster against the audit side);
//   its A/A runs were no tighter than alternating ones (docs/benchmarks.md "Session 15").
//   The load generator (this process) runs on the first CPU and both servers on the others
//   (`taskset`, where there are two CPUs or more; BENCH_WEBHOOKS_PIN=0 leaves them free): the
//   client's own work no longer shares a core's caches with the server it measures, which moved a
//   turn's ratio (docs/benchmarks.md "Session 19").
//   Turns: BENCH_TURNS of BENCH_DURATION s a side, each after BENCH_WARMUP s of the same load;
//   key creation every BENCH_WEBHOOKS_KEY_EVERY turns, BENCH_WEBHOOKS_KEY_DURATION s a side; both
//   servers first warmed up BENCH_WEBHOOKS_FIRST_WARMUP s (3 × BENCH_WARMUP by default).
// - The delivery worker's throughput on one instance (SQLite): 3,000 due deliveries put in the
//   outbox at once, sent to a receiver on 127.0.0.1 that answers 204; events per second until the last arrives.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { SERVER_FLAGS, SERVER_MAIN, call, cannon, cpuSecondsOf, fmtInt, fmtMs, killChildren, serverRequire, startListening, PG_ADMIN, withPgAdmin } from './lib.mjs';


const WORKER_EVENTS = 3000;

async function owner(url) {
  const email = `bench-hooks-${Date.now()}-${randomBytes(3).toString('hex')}@example.com`;
  const password = `Bench ${randomBytes(18).toString('base64url')}`;
  const up = await call(`${url}/api/auth/sign-up/email`, { method: 'POST', body: { email, password, name: 'Bench Hooks' } });
  if (up.status !== 201) throw new Error(`sign-up answered ${up.status}: ${up.text}`);
  const signIn = await call(`${url}/api/auth/sign-in/email`, { method: 'POST', body: { email, password } });
  const cookie = /(?:^|,\s*)((?:__Host-)?acct_session=[^;]+)/.exec(signIn.headers.get('set-cookie') ?? '')?.[1];
  if (!cookie) throw new Error(`sign-in answered ${signIn.status} without a cookie`);
  const orgs = await call(`${url}/api/user/organizations`, { headers: { cookie } });
  const org = orgs.json.data[0].id;
  // Projects cost their default credit: enough for every run, so each write is the real debit + insert.
  const topUp = await call(`${url}/api/user/organizations/${org}/payments`, { method: 'POST', headers: { cookie, 'idempotency-key': 'bench' }, body: { amount: 1_000_000 } });
  if (topUp.status !== 201) throw new Error(`top-up answered ${topUp.status}: ${topUp.text}`);
  return { cookie, org };
}


/** A server on its own data dir, and on PostgreSQL its own database (dropped by `drop`). */
async function server(label, env, baseEnv, dialect = 'sqlite') {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'acct-bench-hooks-'));
  let database = null;
  const dbEnv = {};
  if (dialect === 'postgres') {
    database = `acct_bench_hooks_${randomBytes(5).toString('hex')}`;
    await withPgAdmin((admin) => admin.query(`CREATE DATABASE ${database} TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'`));
    const url = new URL(PG_ADMIN);
    url.pathname = `/${database}`;
    Object.assign(dbEnv, { DATABASE_URL: url.toString(), REDIS_URL: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379' });
  }
  const s = await startListening(label, [...SERVER_FLAGS, SERVER_MAIN], {
    ...baseEnv, PORT: '0', HOST: '127.0.0.1', ACCT_DATA_DIR: dataDir, ACCT_RATE_LIMITS: 'off', ...dbEnv, ...env,
  });
  const postmaster = database ? await postmasterPid() : null;
  const drop = async () => {
    fs.rmSync(dataDir, { recursive: true, force: true });
    if (database) await withPgAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)).catch(() => {});
  };
  return { ...s, dataDir, database, postmaster, drop };
}

/** The PostgreSQL server's main process (the postmaster): the parent of a backend. Throws when PostgreSQL is not on this machine. */
async function postmasterPid() {
  // Read while the connection (and so its backend) is open.
  const [backend, stat] = await withPgAdmin(async (admin) => {
    const pid = (await admin.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    return [pid, statCpu(pid)];
  });
  if (!stat) throw new Error(`PostgreSQL (BENCH_PG_URL) must run on this machine: its CPU counts with acct's (backend ${backend} not in /proc)`);
  return stat.ppid;
}

/** utime + stime of a pid and, with `children`, what it collected from children it reaped (cutime + cstime), in seconds. */
function statCpu(pid, children = false) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(f[1]), cpu: (Number(f[11]) + Number(f[12]) + (children ? Number(f[13]) + Number(f[14]) : 0)) / 100 };
  } catch {
    return null;
  }
}

/**
 * CPU seconds the whole PostgreSQL server has spent: the postmaster, every live child (backends,
 * WAL writer, checkpointer, autovacuum workers) and every child that exited (reaped, so in the
 * postmaster's cutime/cstime). Only one server is loaded at a time, so the difference over a turn
 * is what that turn's writes cost PostgreSQL, including WAL, checkpoints and vacuum they cause.
 */
function clusterCpu(postmaster) {
  let total = statCpu(postmaster, true)?.cpu ?? 0;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const s = statCpu(entry);
    if (s && s.ppid === postmaster) total += s.cpu;
  }
  return total;
}

/** CPU seconds of the server and, on PostgreSQL, of the whole PostgreSQL server and its WAL position (bytes). */
async function cpuOf(s) {
  const wal = s.postmaster ? await withPgAdmin(async (admin) => Number((await admin.query("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0') AS n")).rows[0].n)) : 0;
  return { server: cpuSecondsOf(s.pid), postgres: s.postmaster ? clusterCpu(s.postmaster) : 0, wal };
}

/** CPU seconds spent between two snapshots; null when the server's own is unknown. */
function cpuSpent(before, after) {
  if (before.server == null || after.server == null) return null;
  return after.server - before.server + Math.max(0, after.postgres - before.postgres);
}

/** A receiver on 127.0.0.1 that answers 204 and counts. */
async function receiver() {
  let count = 0;
  let onCount = () => {};
  const srv = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(204).end();
      count++;
      onCount(count);
    });
  });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${srv.address().port}/hook`,
    until: (n) => new Promise((resolve) => (onCount = (c) => c >= n && resolve())),
    get count() {
      return count;
    },
    close: () => new Promise((r) => srv.close(r)),
  };
}

async function run(title, s, opts, expectStatus, warmup, duration, log) {
  if (warmup > 0) await cannon({ ...opts, title: `${title} (warm-up)`, duration: warmup }, { expectStatus });
  const before = await cpuOf(s);
  const r = await cannon({ ...opts, title, duration }, { expectStatus });
  const after = await cpuOf(s);
  const spent = cpuSpent(before, after);
  r.cpuUs = spent === null ? null : (spent * 1e6) / r.total;
  const postgresUs = s.postmaster ? ` (PostgreSQL ${Math.round(((after.postgres - before.postgres) * 1e6) / r.total)}; WAL ${fmtInt((after.wal - before.wal) / r.total)} bytes each)` : '';
  log(`${title}: ${fmtInt(r.rps)}/s, p99 ${fmtMs(r.p99)}, CPU ${r.cpuUs === null ? '?' : Math.round(r.cpuUs)} µs each${postgresUs} (${fmtInt(r.total)} writes)`);
  return r;
}

/** CPU seconds of each PostgreSQL backend serving `database` (its connections), by pid. */
async function backendsCpu(database) {
  const pids = await withPgAdmin(async (admin) => (await admin.query('SELECT pid FROM pg_stat_activity WHERE datname = $1', [database])).rows.map((r) => r.pid));
  return new Map(pids.map((pid) => [pid, statCpu(pid)?.cpu ?? 0]));
}

/** CPU a database's backends spent between two snapshots (a backend that appeared in between counts from zero). */
function backendsSpent(before, after) {
  let total = 0;
  for (const [pid, cpu] of after) total += cpu - (before.get(pid) ?? 0);
  return total;
}

/**
 * Both servers loaded at once for one turn, each by its own load generator: whatever the shared
 * machine does during the turn (another tenant, a slower core, PostgreSQL's checkpoint) it does
 * to both, so the turn's ratio compares like with like. Each side's CPU is its own process's and,
 * on PostgreSQL, its own database's backends'; what the cluster spent besides (WAL writer,
 * checkpointer, autovacuum, backends that exited) is all counted against the audit side, which
 * makes the figure an upper bound.
 */
async function runTogether(title, sides, duration, log) {
  const postgres = sides[0].s.postmaster;
  const snapshot = async () => ({
    servers: sides.map((side) => cpuSecondsOf(side.s.pid)),
    backends: postgres ? await Promise.all(sides.map((side) => backendsCpu(side.s.database))) : [],
    cluster: postgres ? clusterCpu(postgres) : 0,
  });
  const before = await snapshot();
  const results = await Promise.all(sides.map((side) => cannon({ ...side.opts, title: `${title}, ${side.label}`, duration }, { expectStatus: side.expectStatus })));
  const after = await snapshot();
  const backends = sides.map((_, i) => (postgres ? backendsSpent(before.backends[i], after.backends[i]) : 0));
  const shared = postgres ? Math.max(0, after.cluster - before.cluster - backends.reduce((a, b) => a + b, 0)) : 0;
  return results.map((r, i) => {
    const server = after.servers[i] == null || before.servers[i] == null ? null : after.servers[i] - before.servers[i];
    const own = server === null ? null : server + backends[i] + (sides[i].audited ? shared : 0);
    r.cpuUs = own === null ? null : (own * 1e6) / r.total;
    const pgUs = postgres ? ` (PostgreSQL backends ${Math.round((backends[i] * 1e6) / r.total)}${sides[i].audited ? `, rest of the cluster ${Math.round((shared * 1e6) / r.total)}` : ''})` : '';
    log(`${title}, ${sides[i].label}: ${fmtInt(r.rps)}/s, p99 ${fmtMs(r.p99)}, CPU ${r.cpuUs === null ? '?' : Math.round(r.cpuUs)} µs each${pgUs} (${fmtInt(r.total)} writes)`);
    return r;
  });
}

const median = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** Totals of one side's turns, and the median over turns of the with/without ratios (CPU each, rate). */
const sum = (runs) => {
  const total = runs.reduce((a, r) => a + r.total, 0);
  return { rps: total / runs.reduce((a, r) => a + r.durationS, 0), total, p99: Math.max(...runs.map((r) => r.p99)), cpuUs: runs.reduce((a, r) => a + r.cpuUs * r.total, 0) / total };
};
const compare = (withRuns, withoutRuns) => ({
  with: sum(withRuns),
  without: sum(withoutRuns),
  cpuRatios: withRuns.map((r, i) => r.cpuUs / withoutRuns[i].cpuUs),
  rateRatios: withRuns.map((r, i) => withoutRuns[i].rps / r.rps),
});

/** The CPUs a process and its threads may run on (`taskset -pc`), as taskset writes them; null where taskset is missing. */
function affinity(pid) {
  try {
    return /: *(\S+)\s*$/.exec(execFileSync('taskset', ['-pc', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }))?.[1] ?? null;
  } catch {
    return null;
  }
}

/** Sets the CPUs of a process and all its threads; false if taskset refused or is missing. */
function pin(pid, cpus) {
  try {
    execFileSync('taskset', ['-a', '-pc', cpus, String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * The load generator on this process's first CPU, the measured servers on the rest; returns what
 * undoes it, or null when there is nothing to split (one CPU, no taskset, BENCH_WEBHOOKS_PIN=0).
 */
function pinClientApart(servers, log) {
  if (process.env.BENCH_WEBHOOKS_PIN === '0') return null;
  const before = affinity(process.pid);
  const cpus = before?.split(',').flatMap((part) => {
    const [a, b] = part.split('-').map(Number);
    return b === undefined ? [a] : Array.from({ length: b - a + 1 }, (_, i) => a + i);
  }) ?? [];
  if (cpus.length < 2) return null;
  const [client, ...rest] = cpus;
  if (!pin(process.pid, String(client)) || !servers.every((s) => pin(s.pid, rest.join(',')))) {
    pin(process.pid, before);
    return null;
  }
  log(`load generator on CPU ${client}, servers on CPU ${rest.join(',')}`);
  return () => pin(process.pid, before);
}

/** Audit + outbox cost on key and project creation on one database. */
async function measureWrites(dialect, sink, { duration, warmup, turns, keyEvery = 1, keyDuration = duration, firstWarmup = 3 * warmup, baseEnv, log }) {
  // The same NODE_ENV on both sides: the baseline needs NODE_ENV=benchmark, so the measured server gets it too.
  const withAudit = await server(`acct on ${dialect} (audit + outbox)`, { ACCT_WEBHOOKS_ALLOW_PRIVATE: 'true', ACCT_WEBHOOK_POLL_MS: '3600000', NODE_ENV: 'benchmark', ...(process.env.BENCH_AUDIT_FLUSH_MS ? { ACCT_AUDIT_FLUSH_MS: process.env.BENCH_AUDIT_FLUSH_MS } : {}), ...(process.env.BENCH_WEBHOOKS_AA === '1' ? { ACCT_BENCH_NO_AUDIT: '1' } : {}) }, baseEnv, dialect);
  const without = await server(`acct on ${dialect} (benchmark baseline: no audit, no outbox)`, { ACCT_BENCH_NO_AUDIT: '1', NODE_ENV: 'benchmark' }, baseEnv, dialect);
  const unpin = pinClientApart([withAudit, without], log);
  try {
    const a = await owner(withAudit.url);
    const b = await owner(without.url);
    const hook = await call(`${withAudit.url}/api/user/organizations/${a.org}/webhooks`, {
      method: 'POST', headers: { cookie: a.cookie }, body: { url: sink.url, events: ['project.created', 'api_key.created'] },
    });
    if (hook.status !== 201) throw new Error(`webhook creation answered ${hook.status}: ${hook.text}`);

    const project = (who, s) => ({ url: `${s.url}/api/user/organizations/${who.org}/projects`, method: 'POST', connections: 10, headers: { cookie: who.cookie, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'bench project' }) });
    const key = (who, s) => ({
      url: `${s.url}/api/auth/api-key/create`, method: 'POST', connections: 4, headers: { cookie: who.cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bench key', scopes: ['user:read'], metadata: { organizationId: who.org } }),
    });
    const runs = { projectWith: [], projectWithout: [], keyWith: [], keyWithout: [] };
    const keys = process.env.BENCH_WEBHOOKS_WRITES !== 'project';
    const together = process.env.BENCH_WEBHOOKS_TURNS === 'together';
    // Both servers warmed up before the first turn, longer than between turns: in the first turns
    // a write still cost 10–20 % more than in the last (JIT, PostgreSQL's caches and statistics of
    // tables that were empty), which moved the first ratios by as much as the audit costs.
    for (const [s, who] of [[without, b], [withAudit, a]]) {
      await cannon({ ...project(who, s), title: `${dialect}, warm-up, project creation`, duration: firstWarmup }, { expectStatus: 201 });
      if (keys) await cannon({ ...key(who, s), title: `${dialect}, warm-up, key creation`, duration: Math.max(warmup, keyDuration) }, { expectStatus: 200 });
    }
    for (let turn = 1; turn <= turns; turn++) {
      const pair = async (name, make, status, withList, withoutList, duration) => {
        if (together) {
          const [w, wo] = await runTogether(`${dialect}, turn ${turn}, ${name}`, [
            { s: withAudit, opts: make(a, withAudit), expectStatus: status, label: 'audit + outbox', audited: true },
            { s: without, opts: make(b, without), expectStatus: status, label: 'baseline', audited: false },
          ], duration, log);
          withList.push(w);
          withoutList.push(wo);
          return;
        }
        // Alternate which side goes first, so a load that grows or shrinks during a turn favours neither.
        const sides = [[without, b, withoutList, 'baseline'], [withAudit, a, withList, 'audit + outbox']];
        if (turn % 2 === 0) sides.reverse();
        for (const [s, who, list, label] of sides) list.push(await run(`${dialect}, turn ${turn}, ${name}, ${label}`, s, make(who, s), status, warmup, duration, log));
      };
      await pair('project creation', project, 201, runs.projectWith, runs.projectWithout, duration);
      if (keys && turn % keyEvery === 0) await pair('key creation', key, 200, runs.keyWith, runs.keyWithout, keyDuration);
    }
    const count = async (table) => {
      if (dialect === 'postgres') {
        const pg = serverRequire('pg');
        const url = new URL(PG_ADMIN);
        url.pathname = `/${withAudit.database}`;
        const client = new pg.Client({ connectionString: url.toString() });
        await client.connect();
        try {
          return Number((await client.query(`SELECT COUNT(*) AS n FROM ${table}`)).rows[0].n);
        } finally {
          await client.end();
        }
      }
      const Database = serverRequire('better-sqlite3');
      const check = new Database(path.join(withAudit.dataDir, 'acct.db'), { readonly: true });
      try {
        return check.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get().n;
      } finally {
        check.close();
      }
    };
    // The audit_log view counts rows still in the outbox; an event still there is a delivery to be.
    const auditRows = await count('audit_log');
    const outboxRows = (await count('webhook_deliveries')) + (await count('audit_outbox WHERE event IS NOT NULL'));
    log(`${dialect}: the measured server wrote ${fmtInt(auditRows)} audit rows and ${fmtInt(outboxRows)} events (deliveries, or outbox rows carrying an event)`);
    return { dialect, project: compare(runs.projectWith, runs.projectWithout), key: runs.keyWith.length ? compare(runs.keyWith, runs.keyWithout) : null, auditRows, outboxRows };
  } finally {
    unpin?.();
    await withAudit.stop();
    await without.stop();
    await withAudit.drop();
    await without.drop();
  }
}

/** Audit + outbox cost on key and project creation (SQLite, PostgreSQL), and the worker's throughput. */
export async function measureWebhooks({ duration, warmup, turns, keyEvery, keyDuration, firstWarmup, baseEnv, log, dialects = ['sqlite', 'postgres'] }) {
  const sink = await receiver();
  const writes = [];
  for (const dialect of dialects) writes.push(await measureWrites(dialect, sink, { duration, warmup, turns, keyEvery, keyDuration, firstWarmup, baseEnv, log }));

  // The worker: one instance, due deliveries written straight into its outbox.
  const Database = serverRequire('better-sqlite3');
  const w = await server('acct (worker)', { ACCT_WEBHOOKS_ALLOW_PRIVATE: 'true', ACCT_WEBHOOK_POLL_MS: '20' }, baseEnv);
  const c = await owner(w.url);
  const endpoint = await call(`${w.url}/api/user/organizations/${c.org}/webhooks`, { method: 'POST', headers: { cookie: c.cookie }, body: { url: sink.url, events: ['webhook.test'] } });
  const db = new Database(path.join(w.dataDir, 'acct.db'));
  db.pragma('busy_timeout = 5000');
  const now = new Date().toISOString();
  const insert = db.prepare(`INSERT INTO webhook_deliveries (id, endpoint_id, organization_id, message_id, event_type, payload, status, attempts, next_attempt_at, created_at)
    VALUES (?, ?, ?, ?, 'webhook.test', ?, 'pending', 0, ?, ?)`);
  const already = sink.count;
  const done = sink.until(already + WORKER_EVENTS);
  const cpuBefore = cpuSecondsOf(w.pid);
  const started = performance.now();
  db.transaction(() => {
    for (let i = 0; i < WORKER_EVENTS; i++) {
      const id = `0BENCH${String(i).padStart(20, '0')}`;
      insert.run(id, endpoint.json.data.id, c.org, `msg_${id}`, JSON.stringify({ type: 'webhook.test', timestamp: now, data: { n: i } }), now, now);
    }
  })();
  db.close();
  await done;
  const seconds = (performance.now() - started) / 1000;
  const cpuAfter = cpuSecondsOf(w.pid);
  const worker = { events: WORKER_EVENTS, seconds, rate: WORKER_EVENTS / seconds, cpuUs: cpuBefore !== null && cpuAfter !== null ? ((cpuAfter - cpuBefore) * 1e6) / WORKER_EVENTS : null };
  log(`worker: ${fmtInt(worker.events)} deliveries in ${seconds.toFixed(2)} s = ${fmtInt(worker.rate)} events/s, server CPU ${worker.cpuUs === null ? '?' : Math.round(worker.cpuUs)} µs each`);
  await w.stop();
  await w.drop();
  await sink.close();
  return { writes, worker };
}

/** The rows of docs/bench-results.md's section and the two targets (added CPU: the median of the turns' ratios). */
export function webhookRows(r) {
  const pct = (x) => `${(x * 100).toFixed(1)}%`;
  const added = (w) => median(w.cpuRatios) - 1;
  const slower = (w) => median(w.rateRatios) - 1;
  const rows = [];
  for (const d of r.writes) {
    const row = (label, w) => [`${label}, ${d.dialect}`, `${fmtInt(w.without.rps)}/s, ${Math.round(w.without.cpuUs)} µs`, `${fmtInt(w.with.rps)}/s, ${Math.round(w.with.cpuUs)} µs`,
      `${pct(added(w))} (${w.cpuRatios.length} turns, ${pct(Math.min(...w.cpuRatios) - 1)} to ${pct(Math.max(...w.cpuRatios) - 1)}; all turns together ${pct(w.with.cpuUs / w.without.cpuUs - 1)})`, pct(slower(w))];
    rows.push(row('POST …/projects', d.project));
    if (d.key) rows.push(row('POST /api/auth/api-key/create (Argon2id hash)', d.key));
  }
  const all = r.writes.flatMap((d) => [added(d.project), ...(d.key ? [added(d.key)] : [])]);
  return {
    headers: ['write', 'without (rate, CPU each)', 'with audit + outbox', 'added CPU (median of turns)', 'added time (rate, median)'],
    rows,
    targets: [
      ['audit + outbox add ≤ 10% to key and project creation (CPU, median)', r.writes.map((d) => `${d.dialect} ${pct(added(d.project))}${d.key ? `, ${pct(added(d.key))}` : ''}`).join('; '), all.every((x) => x <= 0.1)],
      ['delivery worker ≥ 200 events/s on one instance', `${fmtInt(r.worker.rate)} events/s`, r.worker.rate >= 200],
    ],
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const num = (name, fallback) => (process.env[name] ? Number(process.env[name]) : fallback);
  measureWebhooks({
    duration: num('BENCH_DURATION', 10), warmup: num('BENCH_WARMUP', 3), turns: num('BENCH_TURNS', 5),
    keyEvery: num('BENCH_WEBHOOKS_KEY_EVERY', 1), keyDuration: num('BENCH_WEBHOOKS_KEY_DURATION', undefined), firstWarmup: num('BENCH_WEBHOOKS_FIRST_WARMUP', undefined),
    dialects: (process.env.BENCH_WEBHOOKS_DIALECTS ?? 'sqlite,postgres').split(','),
    baseEnv: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' }, log: (l) => process.stdout.write(`  · ${l}\n`),
  }).then((r) => {
    const t = webhookRows(r);
    for (const row of [t.headers, ...t.rows]) process.stdout.write(`${row.join(' | ')}\n`);
    for (const [what, measured, ok] of t.targets) process.stdout.write(`${what}: ${measured} ${ok ? 'met' : 'MISSED'}\n`);
  }).catch((err) => {
    process.stderr.write(`bench failed: ${err?.stack ?? err}\n`);
    killChildren();
    process.exit(1);
  });
}
