/**
 * Load under a dependency fault: workers send requests in a loop while the test breaks and heals a
 * TCP proxy, and every answer is timed. The assertions are about behaviour (an answer vs. a hang,
 * recovering by itself vs. staying broken), with generous bounds, never about speed.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { ProxyMode, TcpProxy } from './tcp-proxy.js';

export interface Sample {
  label: string;
  start: number;
  end: number;
  status: number;
  code: string | null;
  body: any;
}

/** One request with a client-side deadline far above any bound we assert: a hang shows as status 0. */
export async function timedCall(
  base: string,
  label: string,
  method: string,
  pathname: string,
  opts: { body?: unknown; apiKey?: string; cookie?: string; deadlineMs?: number } = {},
): Promise<Sample> {
  const headers: Record<string, string> = {};
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (opts.apiKey) headers['x-api-key'] = opts.apiKey;
  if (opts.cookie) headers['cookie'] = opts.cookie;
  const start = Date.now();
  try {
    const res = await fetch(base + pathname, {
      method,
      headers,
      ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
      signal: AbortSignal.timeout(opts.deadlineMs ?? 15_000),
    });
    const text = await res.text();
    let body: any = null;
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
    return { label, start, end: Date.now(), status: res.status, code: body?.code ?? null, body };
  } catch {
    return { label, start, end: Date.now(), status: 0, code: null, body: null };
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface FaultRun {
  samples: Sample[];
  faultStart: number;
  faultEnd: number;
}

/**
 * Runs `workers` loops of `request` while: `healthyMs` healthy, `faultMs` in `mode`, then healed
 * (`pass`) until every kind of request succeeded again after the heal (recoveredAt) or `recoverWithinMs` passed, plus
 * `afterMs` more. Each worker stops starting requests once the run is over.
 */
export async function underFault(
  proxy: TcpProxy,
  mode: ProxyMode,
  request: (worker: number, n: number) => Promise<Sample>,
  opts: { workers?: number; healthyMs?: number; faultMs?: number; recoverWithinMs?: number; afterMs?: number } = {},
): Promise<FaultRun> {
  const { workers = 6, healthyMs = 500, faultMs = 2500, recoverWithinMs = 8000, afterMs = 500 } = opts;
  const samples: Sample[] = [];
  let over = false;
  const loops = Array.from({ length: workers }, async (_, w) => {
    for (let n = 0; !over; n++) {
      samples.push(await request(w, n));
      await sleep(20);
    }
  });
  await sleep(healthyMs);
  const faultStart = Date.now();
  proxy.mode(mode);
  await sleep(faultMs);
  proxy.mode('pass');
  const faultEnd = Date.now();
  const deadline = faultEnd + recoverWithinMs;
  while (Date.now() < deadline && recoveredAt({ samples, faultStart, faultEnd }) === null) await sleep(100);
  await sleep(afterMs);
  over = true;
  await Promise.all(loops);
  return { samples, faultStart, faultEnd };
}

const ok = (s: Sample) => s.status >= 200 && s.status < 300;

/**
 * When service came back: for each kind of request (label), the end of its first success after its
 * last failure that started after the heal; the latest of these, or null while any kind that ran
 * after the heal has no such success. Per label, because authenticated reads never depend on Redis:
 * a read's success must not count as sign-in coming back (the run would stop while sign-in still
 * failed, and the last sample would be a failure).
 */
export function recoveredAt(run: FaultRun): number | null {
  const after = run.samples.filter((s) => s.start >= run.faultEnd).sort((a, b) => a.start - b.start);
  let latest: number | null = null;
  for (const label of new Set(after.map((s) => s.label))) {
    const mine = after.filter((s) => s.label === label);
    const lastFailure = mine.filter((s) => !ok(s)).at(-1);
    const firstOk = mine.find((s) => ok(s) && (!lastFailure || s.start > lastFailure.start));
    if (!firstOk) return null;
    latest = latest === null ? firstOk.end : Math.max(latest, firstOk.end);
  }
  return latest;
}

/** The figures the closing note and docs/operations.md quote. */
export function figures(run: FaultRun) {
  const during = run.samples.filter((s) => s.end >= run.faultStart && s.start < run.faultEnd);
  const recovered = recoveredAt(run);
  return {
    requests: run.samples.length,
    duringFault: during.length,
    failedDuringFault: during.filter((s) => !ok(s)).length,
    maxLatencyDuringFaultMs: Math.max(0, ...during.map((s) => s.end - s.start)),
    maxLatencyMs: Math.max(0, ...run.samples.map((s) => s.end - s.start)),
    recoveryMs: recovered === null ? null : Math.max(0, recovered - run.faultEnd),
    statuses: [...new Set(run.samples.map((s) => `${s.status} ${s.code ?? ''}`.trim()))].sort(),
  };
}

/** A fresh PostgreSQL database of its own, dropped by the returned cleanup. */
export async function scratchPgDatabase(label: string): Promise<{ name: string; drop(): Promise<void> }> {
  const admin = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
  await admin.connect();
  const name = `acct_${label}_${randomBytes(5).toString('hex')}`;
  await admin.query(`CREATE DATABASE ${name} TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'`);
  return {
    name,
    async drop() {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}
