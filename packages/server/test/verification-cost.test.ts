// What verifying a credential costs the database, counted on the server's own code (the built
// modules, loaded in this process) against a database a real server created and filled over HTTP:
// a known-good key or session is one statement of unique-index point reads and no Argon2 after
// its first use; a malformed key or one with a wrong checksum never reaches the database.
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, TEST_DIALECT, call, newKey, newUser, signIn, startServer, tamper, type RunningServer } from './harness.js';

const dist = (file: string) => import(pathToFileURL(path.join(ROOT, 'packages/server/dist', file)).href);

interface Counted {
  statements: string[];
  deps: any;
  close(): Promise<void>;
}

/** The server's modules on the test server's database, with every statement recorded. */
async function countedDeps(server: RunningServer): Promise<Counted> {
  const { openDatabase, sqliteHandles } = await dist('db/database.js');
  const { KeyVerifier } = await dist('keys/key-verifier.js');
  const { systemClock } = await dist('time/clock.js');
  const pino = createRequire(path.join(ROOT, 'packages/server/package.json'))('pino');
  const statements: string[] = [];
  const db = await openDatabase({ databaseUrl: server.databaseUrl ?? undefined, dataDir: server.dataDir });
  const sqlite = sqliteHandles.get(db);
  if (sqlite) {
    // Every SQLite statement, through kysely or the prepared fast path, is fetched from this handle.
    const prepare = sqlite.prepare.bind(sqlite);
    sqlite.prepare = (sql: string) => {
      statements.push(sql);
      return prepare(sql);
    };
  } else {
    // Every PostgreSQL statement, built or precompiled, runs through kysely's one executor.
    const executor = db.getExecutor();
    const execute = executor.executeQuery.bind(executor);
    executor.executeQuery = (query: { sql: string }, ...rest: unknown[]) => {
      statements.push(query.sql);
      return execute(query, ...rest);
    };
  }
  const deps = { db, clock: systemClock, keyVerifier: new KeyVerifier(randomBytes(32)), logger: pino({ level: 'silent' }) };
  return { statements, deps, close: () => db.destroy() };
}

function request(headers: Record<string, string>) {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { headers: lower, get: (name: string) => lower[name.toLowerCase()], app: { get: () => false }, socket: { remoteAddress: '127.0.0.1' } };
}

let server: RunningServer;
let counted: Counted;
let authenticate: (deps: unknown, req: unknown) => Promise<any>;
let pat: string;
let bearer: string;
let cookieToken: string;

beforeAll(async () => {
  server = await startServer();
  const user = await newUser(server.url, 'cost');
  pat = (await newKey(server.url, user.cookie, ['user:read'])).key;
  bearer = (await call(server.url, 'POST', '/api/auth/login', { body: { email: user.email, password: user.password } })).body.data.token;
  cookieToken = decodeURIComponent(/acct_session=([^;]+)/.exec(await signIn(server.url, user.email, user.password))![1]!);
  ({ authenticate } = await dist('auth/credentials/index.js'));
  counted = await countedDeps(server);
});

afterAll(async () => {
  await counted?.close();
  await server?.stop();
});

/** Statements one authentication issued, and the caller (or the error) it produced. */
async function measure(headers: Record<string, string>) {
  counted.statements.length = 0;
  const result = await authenticate(counted.deps, request(headers)).then((caller) => ({ caller }), (error) => ({ error }));
  return { ...result, statements: [...counted.statements] };
}

describe('verification cost', () => {
  it('a known-good PAT: one Argon2 on first use, then one statement and none', async () => {
    const first = await measure({ authorization: `Bearer ${pat}` });
    expect(first.caller?.subject.user.email).toMatch(/^cost-/);
    expect(counted.deps.keyVerifier.argon2Calls).toBe(1);
    // The first use also records lastUsedAt (without holding up the request); later uses within
    // a minute from the same IP do not.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(counted.statements.some((s) => /^update "api_keys"/i.test(s))).toBe(true);
    for (const headers of [{ authorization: `Bearer ${pat}` }, { 'x-api-key': pat }]) {
      const again = await measure(headers);
      expect(again.caller?.credential.kind).toBe('pat');
      expect(again.statements).toHaveLength(1);
      expect(again.statements[0]).toMatch(/^select\b/i);
    }
    expect(counted.deps.keyVerifier.argon2Calls).toBe(1);
  });

  it('a known-good session, cookie or bearer: one statement', async () => {
    for (const headers of [{ cookie: `acct_session=${cookieToken}` }, { authorization: `Bearer ${bearer}` }]) {
      const result = await measure(headers);
      expect(result.caller?.credential.kind).toBe('session');
      expect(result.statements.filter((s) => /^select\b/i.test(s))).toHaveLength(1);
    }
  });

  it('the one statement is unique-index point reads on the key, its owner and the owner\'s memberships', async () => {
    const select = (await measure({ 'x-api-key': pat })).statements[0]!;
    if (TEST_DIALECT === 'sqlite') {
      const { sqliteHandles } = await dist('db/database.js');
      const plan = (sqliteHandles.get(counted.deps.db).prepare(`EXPLAIN QUERY PLAN ${select}`).all(['x']) as { detail: string }[]).map((r) => r.detail);
      expect(plan.filter((d) => d.startsWith('SEARCH'))).toEqual([
        expect.stringMatching(/^SEARCH k USING INDEX \S+ \(lookup_id=\?\)$/),
        expect.stringMatching(/^SEARCH users USING INDEX \S+ \(id=\?\)$/),
        expect.stringMatching(/^SEARCH memberships USING COVERING INDEX \S+ \(user_id=\?\)$/),
      ]);
      expect(plan.filter((d) => /\bSCAN\b/.test(d) && !/SCALAR SUBQUERY/.test(d))).toEqual([]);
    } else {
      // A test database is too small for the planner to prefer its indexes; with scans priced out
      // the plan shows which index serves each table (a table without one would still be scanned).
      const { CompiledQuery, sql } = createRequire(path.join(ROOT, 'packages/server/package.json'))('kysely');
      const plan = await counted.deps.db.transaction().execute(async (trx: any) => {
        await sql`set local enable_seqscan = off`.execute(trx);
        await sql`set local enable_bitmapscan = off`.execute(trx);
        return (await trx.executeQuery(CompiledQuery.raw(`EXPLAIN (FORMAT JSON) ${select}`, ['x']))).rows[0]['QUERY PLAN'];
      });
      const scans: string[] = [];
      const walk = (node: any) => {
        if (node['Relation Name']) scans.push(`${node['Relation Name']}: ${node['Node Type']} using ${node['Index Name']}`);
        for (const child of node.Plans ?? []) walk(child);
      };
      walk(plan[0].Plan);
      expect(scans.sort()).toEqual([
        expect.stringMatching(/^api_keys: Index Scan using \S+$/),
        expect.stringMatching(/^memberships: Index Only Scan using \S+$/),
        expect.stringMatching(/^users: Index Scan using \S+$/),
      ]);
    }
  });

  it('a malformed key and a wrong checksum are refused before any database work', async () => {
    for (const value of [tamper(pat), `${pat.slice(0, -1)}`, 'ba_short', 'not-a-key', pat.replace(/^ba_/, 'bz_')]) {
      const result = await measure({ 'x-api-key': value });
      expect(result.error?.status).toBe(401);
      expect(result.statements).toEqual([]);
    }
  });

  it('a well-formed key with an unknown lookup id costs one statement and no Argon2', async () => {
    const { issueToken } = await import('@acct/shared');
    const before = counted.deps.keyVerifier.argon2Calls;
    const result = await measure({ 'x-api-key': issueToken('pat').token });
    expect(result.error?.status).toBe(401);
    expect(result.statements).toHaveLength(1);
    expect(counted.deps.keyVerifier.argon2Calls).toBe(before);
  });
});
