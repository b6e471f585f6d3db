#!/usr/bin/env node
// The audit log's and the webhook outbox's cost (issue 18), for `pnpm bench` section 6, or alone:
// `node scripts/bench/webhooks.mjs` prints the figures.
//
// - Key creation and project creation (at its default cost of one credit: debit, ledger entry,
//   insert), each with audit + outbox (an endpoint subscribed to the
//   event, so every write also queues a delivery) against a server started as the benchmark
//   baseline without them (ACCT_BENCH_NO_AUDIT=1, NODE_ENV=benchmark), measured in alternating
//   turns. The worker of the measured server is idle (ACCT_WEBHOOK_POLL_MS=1 h): the figure is the
//   cost of the write, not of sending.
// - The delivery worker's throughput on one instance: 3,000 due deliveries put in the outbox at
//   once, sent to a receiver on 127.0.0.1 that answers 204; events per second until the last arrives.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { SERVER_FLAGS, SERVER_MAIN, call, cannon, cpuSecondsOf, fmtInt, fmtMs, killChildren, serverRequire, startListening } from './lib.mjs';

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

async function server(label, env, baseEnv) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'acct-bench-hooks-'));
  const s = await startListening(label, [...SERVER_FLAGS, SERVER_MAIN], {
    ...baseEnv, PORT: '0', HOST: '127.0.0.1', ACCT_DATA_DIR: dataDir, ACCT_RATE_LIMITS: 'off', ...env,
  });
  return { ...s, dataDir };
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
  const before = cpuSecondsOf(s.pid);
  const r = await cannon({ ...opts, title, duration }, { expectStatus });
  const after = cpuSecondsOf(s.pid);
  r.cpuUs = before !== null && after !== null ? ((after - before) * 1e6) / r.total : null;
  log(`${title}: ${fmtInt(r.rps)}/s, p99 ${fmtMs(r.p99)}, server CPU ${r.cpuUs === null ? '?' : Math.round(r.cpuUs)} µs each (${fmtInt(r.total)} writes)`);
  return r;
}

const sum = (runs) => {
  const total = runs.reduce((a, r) => a + r.total, 0);
  return { rps: total / runs.reduce((a, r) => a + r.durationS, 0), total, p99: Math.max(...runs.map((r) => r.p99)), cpuUs: runs.reduce((a, r) => a + r.cpuUs * r.total, 0) / total };
};

/** Audit + outbox cost on key and project creation, and the worker's throughput. */
export async function measureWebhooks({ duration, warmup, turns, baseEnv, log }) {
  const sink = await receiver();
  const withAudit = await server('acct (audit + outbox)', { ACCT_WEBHOOKS_ALLOW_PRIVATE: 'true', ACCT_WEBHOOK_POLL_MS: '3600000' }, baseEnv);
  const without = await server('acct (benchmark baseline: no audit, no outbox)', { ACCT_BENCH_NO_AUDIT: '1', NODE_ENV: 'benchmark' }, baseEnv);
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
  for (let turn = 1; turn <= turns; turn++) {
    runs.projectWithout.push(await run(`turn ${turn}, project creation, baseline`, without, project(b, without), 201, warmup, duration, log));
    runs.projectWith.push(await run(`turn ${turn}, project creation, audit + outbox`, withAudit, project(a, withAudit), 201, warmup, duration, log));
    runs.keyWithout.push(await run(`turn ${turn}, key creation, baseline`, without, key(b, without), 200, warmup, duration, log));
    runs.keyWith.push(await run(`turn ${turn}, key creation, audit + outbox`, withAudit, key(a, withAudit), 200, warmup, duration, log));
  }
  const Database = serverRequire('better-sqlite3');
  const check = new Database(path.join(withAudit.dataDir, 'acct.db'), { readonly: true });
  const outbox = check.prepare('SELECT COUNT(*) AS n FROM webhook_deliveries').get().n;
  const audit = check.prepare('SELECT COUNT(*) AS n FROM audit_log').get().n;
  check.close();
  log(`the measured server wrote ${fmtInt(audit)} audit rows and ${fmtInt(outbox)} outbox rows`);
  await withAudit.stop();
  await without.stop();

  // The worker: one instance, due deliveries written straight into its outbox.
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
  await sink.close();
  for (const dir of [withAudit.dataDir, without.dataDir, w.dataDir]) fs.rmSync(dir, { recursive: true, force: true });
  return { project: { with: sum(runs.projectWith), without: sum(runs.projectWithout) }, key: { with: sum(runs.keyWith), without: sum(runs.keyWithout) }, worker, auditRows: audit, outboxRows: outbox };
}

/** The rows of docs/bench-results.md's section and the two targets. */
export function webhookRows(r) {
  const added = (w) => w.with.cpuUs / w.without.cpuUs - 1;
  const slower = (w) => w.without.rps / w.with.rps - 1;
  const row = (label, w) => [label, `${fmtInt(w.without.rps)}/s, ${Math.round(w.without.cpuUs)} µs`, `${fmtInt(w.with.rps)}/s, ${Math.round(w.with.cpuUs)} µs`, `${(added(w) * 100).toFixed(1)}%`, `${(slower(w) * 100).toFixed(1)}%`];
  return {
    headers: ['write', 'without (rate, CPU each)', 'with audit + outbox', 'added CPU', 'added time (rate)'],
    rows: [row('POST …/projects', r.project), row('POST /api/auth/api-key/create (Argon2id hash)', r.key)],
    targets: [
      ['audit + outbox add ≤ 10% to key and project creation (CPU)', `${(added(r.project) * 100).toFixed(1)}%, ${(added(r.key) * 100).toFixed(1)}%`, added(r.project) <= 0.1 && added(r.key) <= 0.1],
      ['delivery worker ≥ 200 events/s on one instance', `${fmtInt(r.worker.rate)} events/s`, r.worker.rate >= 200],
    ],
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const num = (name, fallback) => (process.env[name] ? Number(process.env[name]) : fallback);
  measureWebhooks({
    duration: num('BENCH_DURATION', 10), warmup: num('BENCH_WARMUP', 3), turns: num('BENCH_TURNS', 2),
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
