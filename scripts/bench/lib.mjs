// Helpers for scripts/bench/run.mjs: child processes, RSS sampling, autocannon runs, tiny HTTP calls.
// Dependencies (autocannon, express, better-sqlite3, @node-rs/argon2) resolve from packages/server,
// which already has them, so the benchmark adds nothing to the root install.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serverNodeFlags } from '../node-flags.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SERVER_MAIN = path.join(ROOT, 'packages/server/dist/bundle/main.js');
/** Node flags scripts/server starts the server with (packages/server/node-flags), so the benchmark measures the same thing. */
export const SERVER_FLAGS = serverNodeFlags();
export const serverRequire = createRequire(path.join(ROOT, 'packages/server/package.json'));

/** Every child we start; killed on exit, on a signal and on failure. */
const children = new Set();

export function killChildren() {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  children.clear();
}

process.on('exit', killChildren);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    killChildren();
    process.exit(130);
  });
}

/**
 * Starts a Node child that prints `listening on http://HOST:PORT` and resolves with its URL.
 * Output is kept (bounded) for error messages.
 */
export function startListening(label, args, env, timeoutMs = 30_000) {
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  const keep = (d) => {
    out += d.toString();
    if (out.length > 20_000) out = out.slice(-20_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${label} did not start within ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const onData = () => {
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout.off('data', onData);
        resolve({
          url: m[1],
          pid: child.pid,
          child,
          output: () => out,
          stop: () => stopChild(child),
        });
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${label} exited (${code ?? signal}) before listening:\n${out}`));
    });
  });
}

/** SIGTERM, then SIGKILL after 5 s. */
export function stopChild(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      children.delete(child);
      return resolve();
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      children.delete(child);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Runs a Node script to completion and returns its stdout parsed as JSON (last line). */
export function runJson(label, args, env, timeoutMs = 120_000) {
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d.toString()));
  child.stderr.on('data', (d) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${label} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      children.delete(child);
      if (code !== 0) return reject(new Error(`${label} exited with ${code}:\n${err}${out}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()));
      } catch {
        reject(new Error(`${label} printed no JSON:\n${out}${err}`));
      }
    });
  });
}

/** Reads VmRSS and VmHWM (kB) of a process; null when it is gone or /proc is missing. */
export function memoryOf(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = /VmRSS:\s+(\d+) kB/.exec(status);
    const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
    return { rssKb: rss ? Number(rss[1]) : 0, hwmKb: hwm ? Number(hwm[1]) : 0 };
  } catch {
    return null;
  }
}

/** Samples a process's RSS every `everyMs`; `peakMb()` is the larger of the sampled peak and VmHWM. */
export function sampleRss(pid, everyMs = 100) {
  let peakKb = 0;
  let hwmKb = 0;
  let available = true;
  const tick = () => {
    const m = memoryOf(pid);
    if (!m) {
      available = false;
      return;
    }
    peakKb = Math.max(peakKb, m.rssKb);
    hwmKb = Math.max(hwmKb, m.hwmKb);
  };
  tick();
  const timer = setInterval(tick, everyMs);
  timer.unref();
  return {
    available: () => available || peakKb > 0,
    /** Peak so far in MB; call between phases to attribute it. */
    peakMb: () => {
      tick();
      return Math.max(peakKb, hwmKb) / 1024;
    },
    stop: () => clearInterval(timer),
  };
}

/** Clock ticks of all CPUs (busy) and of the given processes, to tell how busy the rest of the machine was. */
export function cpuSnapshot(pids) {
  const at = performance.now();
  try {
    const cpu = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal: busy = all but idle and iowait
    const busy = cpu[0] + cpu[1] + cpu[2] + cpu[5] + cpu[6] + (cpu[7] ?? 0);
    let ours = 0;
    for (const pid of pids) {
      try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        ours += Number(fields[11]) + Number(fields[12]); // utime, stime
      } catch {
        // process gone
      }
    }
    return { at, busy, ours };
  } catch {
    return null;
  }
}

/**
 * Cores' worth of CPU used by processes other than the snapshots' pids between two snapshots (null
 * without /proc); `oursExtraSeconds` is CPU of our own processes that exited meanwhile.
 */
export function foreignCores(before, after, oursExtraSeconds = 0) {
  if (!before || !after) return null;
  const ticks = 100; // USER_HZ on Linux
  const seconds = (after.at - before.at) / 1000;
  return Math.max(0, ((after.busy - before.busy - (after.ours - before.ours)) / ticks - oursExtraSeconds) / seconds);
}

/** CPU seconds (user + system, all threads) a process has used so far; null when unreadable. */
export function cpuSecondsOf(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

/** One autocannon run; throws when responses are not what the scenario expects. */
export async function cannon(opts, { expectStatus = 200 } = {}) {
  const autocannon = serverRequire('autocannon');
  const result = await autocannon({ pipelining: 1, timeout: 10, ...opts });
  const codes = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([k, v]) => [k, Number(v.count)]));
  const expected = codes[String(expectStatus)] ?? 0;
  const total = Object.values(codes).reduce((a, b) => a + b, 0);
  if (result.errors > 0 || result.timeouts > 0 || expected === 0 || expected !== total) {
    throw new Error(
      `${opts.title ?? opts.url}: expected only ${expectStatus} responses, got ${JSON.stringify(codes)}, ` +
        `${result.errors} errors, ${result.timeouts} timeouts`,
    );
  }
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    total,
    durationS: result.duration,
    connections: result.connections,
  };
}

/** A JSON request over fetch; returns status, headers and parsed body. */
export async function call(url, { method = 'GET', headers = {}, body } = {}) {
  const res = await fetch(url, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** A new account on the server at `url`, signed in, with a `user:read` PAT: the `/me` benches' caller. */
export async function benchUser(url, label = 'bench') {
  const email = `${label}-${Date.now()}-${randomBytes(3).toString('hex')}@example.com`;
  const password = `Bench ${randomBytes(18).toString('base64url')}`;
  await call(`${url}/api/auth/sign-up/email`, { method: 'POST', body: { email, password, name: 'Bench User' } });
  const signIn = await call(`${url}/api/auth/sign-in/email`, { method: 'POST', body: { email, password } });
  const cookie = /((?:__Host-)?acct_session=[^;]+)/.exec(signIn.headers.get('set-cookie') ?? '')?.[1];
  if (!cookie) throw new Error(`sign-in answered ${signIn.status} without a cookie: ${signIn.text}`);
  const created = await call(`${url}/api/auth/api-key/create`, { method: 'POST', headers: { cookie }, body: { name: 'bench', scopes: ['user:read'] } });
  if (created.status !== 200) throw new Error(`key creation answered ${created.status}: ${created.text}`);
  return { email, password, cookie, pat: created.json.data.key };
}

export function fmtInt(n) {
  return Math.round(n).toLocaleString('en-US');
}

export function fmtMs(n) {
  return `${n.toFixed(n < 10 ? 2 : 1)} ms`;
}

export function fmtRatio(n) {
  return `${n.toFixed(2)}×`;
}

export function fmtPct(n) {
  return `${n >= 0 ? '+' : ''}${(n * 100).toFixed(1)}%`;
}

/** The PostgreSQL server the benchmark creates its databases on (BENCH_PG_URL). */
export const PG_ADMIN = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Runs `fn` with a client on PG_ADMIN, closed afterwards. */
export async function withPgAdmin(fn) {
  const pg = serverRequire('pg');
  const admin = new pg.Client({ connectionString: PG_ADMIN });
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.end();
  }
}
