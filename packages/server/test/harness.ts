import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
// The database clients, the SMTP server and the mail parser are imported when first used: most
// files need only some of them, and each test file's worker would otherwise load all four.
const pgModule = () => import('pg').then((m) => m.default);
// @ts-expect-error: a plain .mjs script without type declarations (it returns string[])
import { serverNodeFlags } from '../../../scripts/node-flags.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, '../../..');
export const SERVER_MAIN = path.join(ROOT, 'packages/server/dist/bundle/main.js');
/** The Node/V8 flags scripts/server runs the server with (packages/server/node-flags). */
export const SERVER_FLAGS: string[] = serverNodeFlags();

/** `ACCT_TEST_DATABASE=postgres` runs every server of the suite on PostgreSQL instead of SQLite. */
export const TEST_DIALECT: 'sqlite' | 'postgres' = process.env['ACCT_TEST_DATABASE'] === 'postgres' ? 'postgres' : 'sqlite';
const PG_ADMIN_URL = process.env['ACCT_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DATABASE_URL_FILE = '.test-database-url';

/** A fresh PostgreSQL database (C collation, so text ids sort as bytes, like SQLite). */
async function createPgDatabase(): Promise<string> {
  const name = `acct_test_${randomBytes(6).toString('hex')}`;
  const pg = await pgModule();
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`);
  } finally {
    await admin.end();
  }
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function dropPgDatabase(databaseUrl: string): Promise<void> {
  const name = new URL(databaseUrl).pathname.slice(1);
  const pg = await pgModule();
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

export interface RunningServer {
  url: string;
  dataDir: string;
  /** Set when the server runs on PostgreSQL. */
  databaseUrl: string | null;
  process: ChildProcess;
  /** Everything the server wrote to stdout and stderr so far. */
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Rate limits of harness-started servers: other test files sign many users up and in from
 * 127.0.0.1, so every request is still counted but budgets are huge and per-endpoint ones
 * are off. rate-limits*.test.ts pass their own ACCT_RATE_LIMITS (or none: the real defaults).
 */
export const TEST_RATE_LIMITS = JSON.stringify({
  defaults: false, global: { limit: 1_000_000, windowSeconds: 60 }, ip: { limit: 1_000_000, windowSeconds: 60 }, credential: { limit: 1_000_000, windowSeconds: 60 },
});

const START_TIMEOUT_MS = 50_000;

/**
 * Harness servers hash with Argon2id's smallest cost (config.testHashes): the suite signs up, signs
 * in and mints keys thousands of times. hash-cost.test.ts runs the production parameters, and a
 * test passes `{ ACCT_TEST_FAST_HASHES: '0' }` to get them.
 */
export const TEST_HASHES: Record<string, string> = { NODE_ENV: 'test', ACCT_TEST_FAST_HASHES: '1' };

/**
 * The instances' shared Redis when the test is not about Redis failing: a command may take 2 s
 * rather than the 200 ms default (ACCT_REDIS_COMMAND_TIMEOUT_MS), which a loaded 2-core test
 * machine running the whole suite misses now and then (the request then answers 503 UNAVAILABLE).
 * Tests of the deadline itself (faults-redis, the outage cases) keep the default.
 */
export const SHARED_REDIS: Record<string, string> = { REDIS_URL: 'redis://127.0.0.1:6379', ACCT_REDIS_COMMAND_TIMEOUT_MS: '2000' };

/** Starts the real built server on an ephemeral port with a fresh data dir. */
export async function startServer(env: Record<string, string> = {}, dataDir?: string): Promise<RunningServer> {
  const dir = dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'acct-test-'));
  // On PostgreSQL each data dir gets its own database; a second server on the same dir shares it.
  let databaseUrl: string | null = env['DATABASE_URL'] ?? null;
  let ownsDatabase = false;
  if (!databaseUrl && TEST_DIALECT === 'postgres') {
    const file = path.join(dir, DATABASE_URL_FILE);
    if (fs.existsSync(file)) databaseUrl = fs.readFileSync(file, 'utf8');
    else {
      databaseUrl = await createPgDatabase();
      fs.writeFileSync(file, databaseUrl);
      ownsDatabase = true;
    }
  }
  const child = spawn(process.execPath, [...SERVER_FLAGS, SERVER_MAIN], {
    env: {
      PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', PORT: '0', HOST: '127.0.0.1', ACCT_DATA_DIR: dir, LOG_LEVEL: 'warn',
      ACCT_RATE_LIMITS: TEST_RATE_LIMITS, ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}), ...TEST_HASHES, ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    // A server that exits rejects at once (below); this bounds only a slow start. On a machine
    // shared by several suites at once a PostgreSQL server took over 20 s to listen; 50 s still
    // answers before the 60 s hook timeout, with the server's output.
    const timer = setTimeout(() => reject(new Error(`server did not start within ${START_TIMEOUT_MS / 1000} s:\n${out}`)), START_TIMEOUT_MS);
    const check = () => {
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', check);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${out}`));
    });
  }).catch(async (err: unknown) => {
    // A server that refuses to start (the tests of bad configuration expect it) leaves no process
    // and no database behind: ~10 a run were left, and PostgreSQL's autovacuum visits every one.
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    if (ownsDatabase && databaseUrl) await dropPgDatabase(databaseUrl).catch(() => {});
    throw err;
  });
  return {
    url,
    dataDir: dir,
    databaseUrl,
    process: child,
    output: () => out,
    async stop(signal = 'SIGTERM') {
      const code = await new Promise<number | null>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
        child.once('exit', (c) => resolve(c));
        child.kill(signal);
      });
      if (ownsDatabase && databaseUrl) await dropPgDatabase(databaseUrl).catch(() => {});
      return code;
    },
  };
}

export interface TestDb {
  /** Rows of a query; write SQL with `?` placeholders, they are numbered for PostgreSQL. */
  all<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Runs a statement; returns the number of rows it changed. */
  run(sql: string, params?: unknown[]): Promise<number>;
  close(): Promise<void>;
}

/** Direct access to a running server's database (SQLite file or PostgreSQL), to set up or inspect state. */
export async function testDb(server: Pick<RunningServer, 'dataDir' | 'databaseUrl'>): Promise<TestDb> {
  if (server.databaseUrl) {
    const pg = await pgModule();
    const client = new pg.Client({ connectionString: server.databaseUrl });
    await client.connect();
    const numbered = (sql: string) => {
      let i = 0;
      return sql.replace(/\?/g, () => `$${++i}`);
    };
    return {
      all: async (sql, params = []) => (await client.query(numbered(sql), params)).rows,
      run: async (sql, params = []) => (await client.query(numbered(sql), params)).rowCount ?? 0,
      close: () => client.end(),
    };
  }
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(path.join(server.dataDir, 'acct.db'));
  db.pragma('busy_timeout = 5000');
  return {
    all: async (sql, params = []) => db.prepare(sql).all(...params) as never[],
    run: async (sql, params = []) => db.prepare(sql).run(...params).changes,
    close: async () => {
      db.close();
    },
  };
}

/** Runs `fn` with a TestDb and closes it. */
export async function withTestDb<T>(server: Pick<RunningServer, 'dataDir' | 'databaseUrl'>, fn: (db: TestDb) => Promise<T>): Promise<T> {
  const db = await testDb(server);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

export interface CaughtMail {
  to: string;
  subject: string;
  text: string;
}

export interface SmtpCatcher {
  url: string;
  mails: CaughtMail[];
  /** Waits for a mail to an address whose subject matches. */
  waitFor(to: string, subject?: RegExp, timeoutMs?: number): Promise<CaughtMail>;
  close(): Promise<void>;
}

/** A real SMTP server (smtp-server) that keeps every mail it receives. */
export async function startSmtp(): Promise<SmtpCatcher> {
  const mails: CaughtMail[] = [];
  const [{ SMTPServer }, { simpleParser }] = await Promise.all([import('smtp-server'), import('mailparser')]);
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then((parsed) => {
          const to = Array.isArray(parsed.to) ? parsed.to[0]?.text : parsed.to?.text;
          mails.push({ to: to ?? '', subject: parsed.subject ?? '', text: parsed.text ?? '' });
          callback();
        })
        .catch(callback);
    },
  });
  // A client that goes away mid-connection (a server under test stopped while its mail transport
  // still had a connection open) makes smtp-server emit 'error' on the server: without a listener
  // that is an uncaught ECONNRESET in the test process (seen once in a full run, in mail-flows).
  server.on('error', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as { port: number };
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    async waitFor(to, subject, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = mails.find((m) => m.to.includes(to) && (!subject || subject.test(m.subject)));
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no mail to ${to} matching ${subject} (got: ${mails.map((m) => `${m.to}: ${m.subject}`).join(', ')})`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface CallOptions {
  body?: unknown;
  /** Sent as-is, no JSON encoding (malformed bodies, forms). */
  raw?: string;
  headers?: Record<string, string>;
  cookie?: string;
  apiKey?: string;
  bearer?: string;
}

/** One HTTP call; parses the envelope. */
export async function call<T = any>(base: string, method: string, pathname: string, opts: CallOptions = {}): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  let body: string | undefined;
  if (opts.raw !== undefined) body = opts.raw;
  else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] ??= 'application/json';
  }
  if (opts.cookie) headers['cookie'] = opts.cookie;
  if (opts.apiKey) headers['x-api-key'] = opts.apiKey;
  if (opts.bearer) headers['authorization'] = `Bearer ${opts.bearer}`;
  const res = await fetch(base + pathname, { method, headers, ...(body !== undefined ? { body } : {}), redirect: 'manual' });
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = null;
  }
  return { status: res.status, headers: res.headers, body: parsed as T, text };
}

export const PASSWORD = 'a-long-secure-passphrase';

/** The token with its last character changed: always a different, wrong token. */
export function tamper(token: string): string {
  return token.slice(0, -1) + (token.endsWith('x') ? 'y' : 'x');
}

let counter = 0;
/** A unique email for a test user. */
export function email(label = 'user'): string {
  counter++;
  return `${label}-${process.pid}-${counter}-${Date.now()}@example.com`;
}

export interface TestUser {
  email: string;
  password: string;
  id: string;
  cookie: string;
  organizationId: string;
}

/**
 * A setup request of a helper (sign-up, sign-in), sent again up to twice when the server answered
 * 503 UNAVAILABLE: its Redis command missed the 200 ms deadline (ACCT_REDIS_COMMAND_TIMEOUT_MS) on
 * a 2-core machine running the whole suite, before any fault a test sets up. Tests that expect
 * the 503 (sign-in failing closed without Redis) send their requests with `call`, not these helpers.
 */
async function setupStep(send: () => Promise<ApiResponse>): Promise<ApiResponse> {
  for (let attempt = 1; ; attempt++) {
    const res = await send();
    if (res.status !== 503 || res.body?.code !== 'UNAVAILABLE' || attempt === 3) return res;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Signs up and signs in a user; returns their cookie and default organization. */
export async function newUser(base: string, label = 'user'): Promise<TestUser> {
  const address = email(label);
  const up = await setupStep(() => call(base, 'POST', '/api/auth/sign-up/email', { body: { email: address, password: PASSWORD, name: `Test ${label}` } }));
  if (up.status !== 201) throw new Error(`sign-up failed: ${up.text}`);
  const cookie = await signIn(base, address, PASSWORD);
  const orgs = await call(base, 'GET', '/api/user/organizations', { cookie });
  return { email: address, password: PASSWORD, id: up.body.data.user.id, cookie, organizationId: orgs.body.data[0].id };
}

/** Signs in and returns the `name=value` of the session cookie. */
export async function signIn(base: string, address: string, password: string): Promise<string> {
  const res = await setupStep(() => call(base, 'POST', '/api/auth/sign-in/email', { body: { email: address, password } }));
  if (res.status !== 200) throw new Error(`sign-in failed: ${res.status} ${res.text}`);
  const set = res.headers.getSetCookie().find((c) => c.includes('acct_session='));
  if (!set) throw new Error('no session cookie');
  return set.split(';')[0]!;
}

/** Mints a PAT with a cookie. */
export async function newKey(base: string, cookie: string, scopes: string[], extra: Record<string, unknown> = {}): Promise<{ id: string; key: string }> {
  const res = await call(base, 'POST', '/api/auth/api-key/create', { cookie, body: { name: 'test key', scopes, ...extra } });
  if (res.status !== 200) throw new Error(`key creation failed: ${res.text}`);
  return { id: res.body.data.id, key: res.body.data.key };
}
