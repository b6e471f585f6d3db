// test-dialects: postgres — riding with the COMMIT is PostgreSQL's (db/database.ts withCommitOnPostgres)
/**
 * A statement marked to ride with its transaction's COMMIT (the audit outbox row of every audited
 * change) is sent in the COMMIT's own message, its parameters inlined by pg's escapeLiteral: it
 * commits with the transaction or not at all, a failure of it fails the COMMIT and rolls the whole
 * change back, any string arrives intact, and outside a transaction it runs at once. Driven through
 * the server's own database layer (dist) against the test's PostgreSQL database.
 */
import path from 'node:path';
import { CompiledQuery } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, startServer, type RunningServer } from './harness.js';
import { sqlOn } from './tenancy-support.js';

type DatabaseModule = typeof import('../src/db/database.js');
let server: RunningServer;
let db: Awaited<ReturnType<DatabaseModule['openDatabase']>>;
let withCommit: DatabaseModule['withCommitOnPostgres'];

beforeAll(async () => {
  server = await startServer();
  const database = (await import(path.join(ROOT, 'packages/server/dist/db/database.js'))) as DatabaseModule;
  db = await database.openDatabase({ databaseUrl: server.databaseUrl, dataDir: server.dataDir } as Parameters<DatabaseModule['openDatabase']>[0], { connectMs: 5000, queryMs: 5000 });
  withCommit = database.withCommitOnPostgres;
  await db.executeQuery(CompiledQuery.raw('CREATE TABLE rider_test (id text PRIMARY KEY, note text NOT NULL, n integer)'));
});
afterAll(async () => {
  await db?.destroy();
  await server?.stop();
});

const INSERT = 'INSERT INTO rider_test (id, note, n) VALUES ($1, $2, $3)';
const rows = async (ids: string[]) => (await sqlOn(server, `SELECT id, note, n FROM rider_test WHERE id IN (${ids.map(() => '?').join(', ')}) ORDER BY id`, ids)) as { id: string; note: string; n: number | null }[];

describe('statements riding with the COMMIT', () => {
  it('commit with the transaction, unseen before it, with every character of their strings', async () => {
    const tricky = "it's a \\back\\slash, ''quotes'', $1 and $$ dollars, 日本語, emoji 🙂, a tab\tand a\nnewline; DROP TABLE rider_test; --";
    await db.transaction().execute(async (trx) => {
      await trx.executeQuery(CompiledQuery.raw(INSERT, ['a1', 'plain', 1]));
      const rider = await trx.executeQuery(CompiledQuery.raw(withCommit(INSERT), ['a2', tricky, 2]));
      expect(rider.numAffectedRows).toBe(1n);
      // Not sent yet: not even this transaction could see it, and nobody else sees either row.
      expect((await trx.executeQuery(CompiledQuery.raw("SELECT id FROM rider_test WHERE id = 'a2'"))).rows).toEqual([]);
      expect(await rows(['a1', 'a2'])).toEqual([]);
    });
    expect(await rows(['a1', 'a2'])).toEqual([{ id: 'a1', note: 'plain', n: 1 }, { id: 'a2', note: tricky, n: 2 }]);
  });

  it('a rider that fails fails the COMMIT, and the whole change rolls back', async () => {
    await db.executeQuery(CompiledQuery.raw(INSERT, ['b1', 'there first', null]));
    const attempt = db.transaction().execute(async (trx) => {
      await trx.executeQuery(CompiledQuery.raw(INSERT, ['b2', 'with the change', null]));
      await trx.executeQuery(CompiledQuery.raw(withCommit(INSERT), ['b1', 'a duplicate key', null]));
    });
    await expect(attempt).rejects.toThrow(/duplicate key/);
    expect(await rows(['b1', 'b2'])).toEqual([{ id: 'b1', note: 'there first', n: null }]);
    // The connection is clean for the next transaction.
    await db.transaction().execute(async (trx) => {
      await trx.executeQuery(CompiledQuery.raw(withCommit(INSERT), ['b3', 'after the failure', 3]));
    });
    expect(await rows(['b3'])).toEqual([{ id: 'b3', note: 'after the failure', n: 3 }]);
  });

  it('a transaction that rolls back takes its riders with it', async () => {
    const attempt = db.transaction().execute(async (trx) => {
      await trx.executeQuery(CompiledQuery.raw(withCommit(INSERT), ['c1', 'never', null]));
      throw new Error('the change failed');
    });
    await expect(attempt).rejects.toThrow('the change failed');
    await db.transaction().execute(async (trx) => {
      await trx.executeQuery(CompiledQuery.raw(INSERT, ['c2', 'next transaction on the pool', null]));
    });
    expect(await rows(['c1', 'c2'])).toEqual([{ id: 'c2', note: 'next transaction on the pool', n: null }]);
  });

  it('outside a transaction, or with a parameter it cannot inline, a marked statement runs at once', async () => {
    await db.executeQuery(CompiledQuery.raw(withCommit(INSERT), ['d1', 'autocommit', null]));
    expect(await rows(['d1'])).toEqual([{ id: 'd1', note: 'autocommit', n: null }]);
    await db.transaction().execute(async (trx) => {
      // A boolean is not inlined: the statement runs in the transaction as sent.
      await trx.executeQuery(CompiledQuery.raw(withCommit(INSERT), ['d2', true, null]));
      expect((await trx.executeQuery(CompiledQuery.raw("SELECT note FROM rider_test WHERE id = 'd2'"))).rows).toEqual([{ note: 'true' }]);
    });
    expect(await rows(['d2'])).toEqual([{ id: 'd2', note: 'true', n: null }]);
  });
});
