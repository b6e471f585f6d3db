// test-dialects: postgres — riding with the COMMIT is PostgreSQL's (db/database.ts withCommitOnPostgres)
/**
 * A statement marked to ride with its transaction's COMMIT (the audit outbox row of every audited
 * change) is sent in the COMMIT's own pipeline as a named prepared statement (prepared once per
 * connection, then only bound and executed): it commits with the transaction or not at all, a
 * failure of it fails the COMMIT and rolls the whole change back, any string arrives intact, and
 * outside a transaction it runs at once. Driven through the server's own database layer (dist)
 * against the test's PostgreSQL database.
 */
import path from 'node:path';
import { CompiledQuery } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, newUser, startServer, type RunningServer } from './harness.js';
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

/**
 * Records into `sent` what reaches pg's client (the same module the server's database layer
 * loads): a statement's text, or `pipeline: commit` for the COMMIT's pipeline (pg's Query
 * subclass). Returns the function that stops recording.
 */
function recordSent(sent: string[]): () => void {
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const first = args[0] as string | { text?: string; submit?: unknown };
    sent.push(typeof first === 'string' ? first : `${typeof first.submit === 'function' && first.constructor !== pg.Query ? 'pipeline: ' : ''}${first.text ?? ''}`);
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query;
  return () => {
    pg.Client.prototype.query = query;
  };
}

describe('statements riding with the COMMIT', () => {
  it('commit with the transaction, unseen before it, with every character of their strings, prepared once per connection', async () => {
    const tricky = "it's a \\back\\slash, ''quotes'', $1 and $$ dollars, 日本語, emoji 🙂, a tab\tand a\nnewline; DROP TABLE rider_test; --";
    // The first on a connection prepares the statement; the next ones ride in the COMMIT's pipeline.
    // What reaches pg's client (the same module the server's database layer loads): the first
    // transaction sends begin, the insert, the marked statement and the COMMIT; later ones send
    // the COMMIT's pipeline (pg's Query, text 'commit') instead of the last two.
    const sent: string[] = [];
    const restore = recordSent(sent);
    for (const round of [1, 2, 3]) {
      const [plain, rider] = [`a${round}1`, `a${round}2`];
      sent.length = 0;
      await db.transaction().execute(async (trx) => {
        await trx.executeQuery(CompiledQuery.raw(INSERT, [plain, 'plain', 1]));
        const held = await trx.executeQuery(CompiledQuery.raw(withCommit(INSERT), [rider, tricky, round]));
        expect(held.numAffectedRows).toBe(1n);
        // Not sent yet: not even this transaction could see it, and nobody else sees either row.
        expect((await trx.executeQuery(CompiledQuery.raw('SELECT id FROM rider_test WHERE id = $1', [rider]))).rows).toEqual([]);
        expect(await rows([plain, rider])).toEqual([]);
      });
      expect(sent.map((text) => text.replace(/^\/\* acct:with-commit \*\/ /, 'marked: ')).filter((text) => !text.startsWith('SELECT'))).toEqual(
        round === 1 ? ['begin', INSERT, `marked: ${INSERT}`, 'commit'] : ['begin', INSERT, 'pipeline: commit'],
      );
      expect(await rows([plain, rider])).toEqual([{ id: plain, note: 'plain', n: 1 }, { id: rider, note: tricky, n: round }]);
    }
    restore();
    // One prepared statement on the connection (pg-pool hands back the connection released last).
    const prepared = await db.transaction().execute(async (trx) =>
      (await trx.executeQuery<{ name: string }>(CompiledQuery.raw("SELECT name FROM pg_prepared_statements WHERE statement LIKE '%INSERT INTO rider_test%'"))).rows);
    expect(prepared).toEqual([{ name: expect.stringMatching(/^acct_c_[0-9a-f]{24}$/) }]);
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

  it('outside a transaction, or with a parameter that is not text, a number or null, a marked statement runs at once', async () => {
    await db.executeQuery(CompiledQuery.raw(withCommit(INSERT), ['d1', 'autocommit', null]));
    expect(await rows(['d1'])).toEqual([{ id: 'd1', note: 'autocommit', n: null }]);
    await db.transaction().execute(async (trx) => {
      // A boolean does not ride: the statement runs in the transaction as sent.
      await trx.executeQuery(CompiledQuery.raw(withCommit(INSERT), ['d2', true, null]));
      expect((await trx.executeQuery(CompiledQuery.raw("SELECT note FROM rider_test WHERE id = 'd2'"))).rows).toEqual([{ note: 'true' }]);
    });
    expect(await rows(['d2'])).toEqual([{ id: 'd2', note: 'true', n: null }]);
  });
});

describe("a project creation's rows after the debit ride with the COMMIT", () => {
  it('begin, the debit (which locks the balance row), then one pipeline: the ledger entry, the project, the COMMIT', async () => {
    type Credits = typeof import('../src/billing/credits.repository.js');
    type Projects = typeof import('../src/projects/projects.repository.js');
    const credits = (await import(path.join(ROOT, 'packages/server/dist/billing/credits.repository.js'))) as Credits;
    const projects = (await import(path.join(ROOT, 'packages/server/dist/projects/projects.repository.js'))) as Projects;
    const user = await newUser(server.url, 'riders');
    const sent: string[] = [];
    const restore = recordSent(sent);
    const created: string[] = [];
    try {
      // Round 1 prepares the two statements on the connection; from round 2 they ride.
      for (const round of [1, 2, 3]) {
        sent.length = 0;
        const now = new Date();
        const id = `prj_rider_${round}_${Date.now()}`;
        const balance = await db.transaction().execute(async (trx) => {
          const after = await credits.debitCredits(trx, { organizationId: user.organizationId, amount: 1, description: `rider ${round}`, now });
          await projects.insertProject(trx, { id, organization_id: user.organizationId, name: `rider ${round}`, description: '', created_at: now.toISOString(), updated_at: now.toISOString() });
          return after;
        });
        created.push(id);
        expect(balance).toBe(100 - round);
        const shown = sent.filter((text) => !text.startsWith('SELECT')).map((text) => (/^update "organizations"/i.test(text) ? 'debit' : text.replace(/^\/\* acct:with-commit \*\/ INSERT INTO (\w+).*$/s, 'marked: $1')));
        expect(shown).toEqual(round === 1 ? ['begin', 'debit', 'marked: credit_ledger', 'marked: projects', 'commit'] : ['begin', 'debit', 'pipeline: commit']);
      }
    } finally {
      restore();
    }
    // Both committed: the ledger explains the balance, newest first, and the projects are there.
    const ledger = (await sqlOn(server, "SELECT balance_after, description FROM credit_ledger WHERE organization_id = ? AND kind = 'debit' ORDER BY id DESC", [user.organizationId])) as { balance_after: number; description: string }[];
    expect(ledger).toEqual([{ balance_after: 97, description: 'rider 3' }, { balance_after: 98, description: 'rider 2' }, { balance_after: 99, description: 'rider 1' }]);
    expect(await sqlOn(server, `SELECT count(*)::int AS n FROM projects WHERE id IN (${created.map(() => '?').join(', ')})`, created)).toEqual([{ n: 3 }]);
  });
});
