// The OAuth section of `pnpm bench` (issue 15): the token endpoint's p99 at 8 connections for
// code exchange and refresh, and OAuth-authenticated /me and introspection against PAT /me in
// the same run. Codes and refresh chains are minted through the real API (consent page form,
// token endpoint) before the clock starts; the timed requests are only the ones measured.
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { call } from './lib.mjs';

export const REDIRECT = 'https://bench.example.com/callback';

function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export function basic(client) {
  return `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`;
}

// The timed token requests go through node:http with a keep-alive agent of 8 sockets (one per
// worker), not fetch: the lighter client of the two on a 2-core machine the bench shares with the
// server (the figures moved no more than the run-to-run noise when it changed).
const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

export function form(url, fields, client) {
  const body = new URLSearchParams(fields).toString();
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: 'POST', agent,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body), ...(client ? { authorization: basic(client) } : {}) },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        let json = null;
        try {
          json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          // not JSON: left null
        }
        resolve({ status: res.statusCode, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A code as a browser gets one: authorize, the consent page, Allow. */
export async function mintCode(url, client, cookie) {
  const { verifier, challenge } = pkce();
  const authorize = new URL('/oauth2/authorize', url);
  for (const [k, v] of Object.entries({ response_type: 'code', client_id: client.id, redirect_uri: REDIRECT, scope: 'user:read', state: 's', code_challenge: challenge, code_challenge_method: 'S256' }))
    authorize.searchParams.set(k, v);
  const first = await fetch(new URL(`/oauth/consent${authorize.search}`, url), { headers: { cookie }, redirect: 'manual' });
  // A remembered consent (same client, scopes and resource) answers with the code at once.
  const at = first.headers.get('location');
  if ((first.status === 302 || first.status === 303) && at && new URL(at, url).searchParams.get('code')) return { code: new URL(at, url).searchParams.get('code'), verifier };
  const page = await first.text();
  const field = (name) => {
    const m = new RegExp(`name="${name}" value="([^"]*)"`).exec(page);
    if (!m) throw new Error(`the consent page (${first.status}) has no ${name} field: ${page.slice(0, 300)}`);
    return m[1].replaceAll("&amp;", "&");
  };
  const answer = await fetch(new URL('/oauth/consent', url), {
    method: 'POST', redirect: 'manual', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ q: field('q'), csrf: field('csrf'), decision: 'allow', organization_id: '' }).toString(),
  });
  return { code: new URL(answer.headers.get('location')).searchParams.get('code'), verifier };
}

function quantile(latencies, q) {
  const sorted = [...latencies].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))];
}

/** `connections` workers each doing `next()` until the work runs out or `seconds` pass; per-request latencies. */
async function timedWorkers(connections, seconds, next) {
  const latencies = [];
  const stopAt = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(Array.from({ length: connections }, async (_, worker) => {
    for (;;) {
      if (performance.now() > stopAt) return;
      const t = performance.now();
      const ok = await next(worker);
      if (ok === null) return;
      if (!ok) throw new Error('a timed token request failed');
      latencies.push(performance.now() - t);
    }
  }));
  const elapsed = (performance.now() - started) / 1000;
  return { total: latencies.length, rps: latencies.length / elapsed, p99: quantile(latencies, 0.99), p50: quantile(latencies, 0.5) };
}

/**
 * Measures the OAuth figures on a running server. `measure(title, opts)` is run.mjs's autocannon
 * run (warm-up + measured); `pat` and `cookie` belong to one signed-up user.
 */
export async function measureOAuth({ url, pat, cookie, measure, connections, tokenConnections = 8, duration, log, serverCpuSeconds = () => null }) {
  const reg = await call(`${url}/oauth2/register`, { method: 'POST', body: { client_name: 'Bench App', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'client_secret_basic' } });
  if (reg.status !== 201) throw new Error(`registration answered ${reg.status}: ${reg.text}`);
  const client = { id: reg.json.client_id, secret: reg.json.client_secret };
  const token = `${url}/oauth2/token`;

  // Code exchange: one pre-minted code per timed request.
  // Enough codes for a warm-up and a measured run of a few seconds each (at ~1,000 exchanges/s),
  // as the other scenarios have (3 s + 10 s): with 400 + 1,600 the measured run lasted ~1.5 s and
  // its p99 was the 16th-slowest request, often one of the first after V8 tiered the path up.
  const codeCount = Number(process.env.BENCH_OAUTH_CODES ?? 6000);
  log(`minting ${codeCount} authorization codes through the consent page`);
  const codes = [];
  for (let i = 0; i < codeCount; i += 8) {
    codes.push(...(await Promise.all(Array.from({ length: Math.min(8, codeCount - i) }, () => mintCode(url, client, cookie)))));
  }
  const refreshChains = [];
  // Warm-up, untimed, as every other scenario has: the first exchanges run before V8 optimised the path.
  const warmup = codes.splice(0, Math.min(codes.length - 1, Number(process.env.BENCH_OAUTH_WARMUP_CODES ?? 2000)));
  await timedWorkers(tokenConnections, duration, async () => {
    const c = warmup.pop();
    if (!c) return null;
    return (await form(token, { grant_type: 'authorization_code', code: c.code, code_verifier: c.verifier, redirect_uri: REDIRECT }, client)).status === 200;
  });
  let cpu0 = serverCpuSeconds();
  const exchange = await timedWorkers(tokenConnections, duration, async (worker) => {
    const c = codes.pop();
    if (!c) return null;
    const res = await form(token, { grant_type: 'authorization_code', code: c.code, code_verifier: c.verifier, redirect_uri: REDIRECT }, client);
    if (res.status === 200 && refreshChains.length < tokenConnections * 4) refreshChains.push(res.json.refresh_token);
    return res.status === 200 ? true : (log(`exchange failed on worker ${worker}: ${JSON.stringify(res.json)}`), false);
  });
  let cpu1 = serverCpuSeconds();
  exchange.cpuUs = cpu0 !== null && cpu1 !== null ? ((cpu1 - cpu0) * 1e6) / exchange.total : null;
  log(`token endpoint, code exchange: ${Math.round(exchange.rps)} req/s, p50 ${exchange.p50.toFixed(1)} ms, p99 ${exchange.p99.toFixed(1)} ms, server CPU ${exchange.cpuUs === null ? '?' : Math.round(exchange.cpuUs)} µs/request (${exchange.total} requests, ${tokenConnections} connections)`);

  // Refresh: each worker follows its own rotation chain.
  const chains = refreshChains.slice(0, tokenConnections);
  cpu0 = serverCpuSeconds();
  const refresh = await timedWorkers(tokenConnections, duration, async (worker) => {
    const res = await form(token, { grant_type: 'refresh_token', refresh_token: chains[worker] }, client);
    if (res.status !== 200) return (log(`refresh failed on worker ${worker}: ${JSON.stringify(res.json)}`), false);
    chains[worker] = res.json.refresh_token;
    return true;
  });
  cpu1 = serverCpuSeconds();
  refresh.cpuUs = cpu0 !== null && cpu1 !== null ? ((cpu1 - cpu0) * 1e6) / refresh.total : null;
  log(`token endpoint, refresh: ${Math.round(refresh.rps)} req/s, p50 ${refresh.p50.toFixed(1)} ms, p99 ${refresh.p99.toFixed(1)} ms, server CPU ${refresh.cpuUs === null ? '?' : Math.round(refresh.cpuUs)} µs/request (${refresh.total} requests, ${tokenConnections} connections)`);

  // /me with an OAuth access token vs a PAT, and introspection, in turns (autocannon).
  const fresh = await mintCode(url, client, cookie);
  const tokens = (await form(token, { grant_type: 'authorization_code', code: fresh.code, code_verifier: fresh.verifier, redirect_uri: REDIRECT }, client)).json;
  const meUrl = `${url}/api/user/me`;
  const turns = { pat: [], oauth: [], introspect: [] };
  const TURNS = Number(process.env.BENCH_TURNS ?? 2);
  for (let turn = 1; turn <= TURNS; turn++) {
    turns.pat.push(await measure(`turn ${turn}, /me with PAT (Bearer)`, { url: meUrl, connections, headers: { authorization: `Bearer ${pat}` } }));
    turns.oauth.push(await measure(`turn ${turn}, /me with OAuth access token`, { url: meUrl, connections, headers: { authorization: `Bearer ${tokens.access_token}` } }));
    turns.introspect.push(await measure(`turn ${turn}, POST /oauth2/introspect (OAuth token)`, {
      url: `${url}/oauth2/introspect`, method: 'POST', connections,
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(client) }, body: new URLSearchParams({ token: tokens.access_token }).toString(),
    }));
  }
  return { exchange, refresh, turns, tokenConnections };
}

/** Combines several autocannon runs (as run.mjs's `combine`). */
function combined(runs) {
  const total = runs.reduce((a, r) => a + r.total, 0);
  const seconds = runs.reduce((a, r) => a + r.durationS, 0);
  const cpu = runs.every((r) => r.cpuUs !== null && r.cpuUs !== undefined) ? runs.reduce((a, r) => a + r.cpuUs * r.total, 0) / total : null;
  return { rps: total / seconds, p99: Math.max(...runs.map((r) => r.p99)), cpuUs: cpu };
}

/** The section's rows with their targets: token p99 ≤ 20 ms; OAuth /me and introspection ≥ 0.9× PAT /me. */
export function oauthRows(result) {
  const pat = combined(result.turns.pat);
  const oauth = combined(result.turns.oauth);
  const introspect = combined(result.turns.introspect);
  const ratio = (r) => r.rps / pat.rps;
  const cpuRatio = (r) => (pat.cpuUs && r.cpuUs ? pat.cpuUs / r.cpuUs : null);
  const fmt = (x) => (x === null ? '?' : `${x.toFixed(2)}×`);
  const met = (ok) => (ok ? 'met' : 'MISSED');
  return {
    figures: [
      ['token endpoint, code exchange', `${Math.round(result.exchange.rps)} req/s (server CPU ${result.exchange.cpuUs === null ? '?' : Math.round(result.exchange.cpuUs)} µs each)`, `${result.exchange.p99.toFixed(1)} ms`, '', `p99 ≤ 20 ms at ${result.tokenConnections} connections: ${met(result.exchange.p99 <= 20)}`],
      ['token endpoint, refresh (rotation)', `${Math.round(result.refresh.rps)} req/s (server CPU ${result.refresh.cpuUs === null ? '?' : Math.round(result.refresh.cpuUs)} µs each)`, `${result.refresh.p99.toFixed(1)} ms`, '', `p99 ≤ 20 ms at ${result.tokenConnections} connections: ${met(result.refresh.p99 <= 20)}`],
      ['/me with PAT (Bearer)', `${Math.round(pat.rps)} req/s`, `${pat.p99} ms`, '1.00×', 'baseline'],
      ['/me with OAuth access token', `${Math.round(oauth.rps)} req/s`, `${oauth.p99} ms`, `${fmt(ratio(oauth))} (CPU ${fmt(cpuRatio(oauth))})`, `≥ 0.9× PAT /me: ${met(ratio(oauth) >= 0.9)}`],
      ['POST /oauth2/introspect', `${Math.round(introspect.rps)} req/s`, `${introspect.p99} ms`, `${fmt(ratio(introspect))} (CPU ${fmt(cpuRatio(introspect))})`, `≥ 0.9× PAT /me: ${met(ratio(introspect) >= 0.9)}`],
    ],
    headers: ['scenario', 'throughput', 'p99', 'vs PAT /me', 'target'],
  };
}
