import { CompiledQuery, type Compilable } from 'kysely';
import { sqliteHandles, type DB } from './database.js';

/**
 * A read built and compiled once per database, then run with new parameters: kysely's
 * building and compiling cost more than the indexed read itself on the authentication path.
 * `build` must use placeholder values in the order `run` will pass them.
 *
 * On SQLite the compiled statement runs on better-sqlite3 directly and synchronously, skipping
 * kysely's asynchronous driver (a connection mutex and several awaits per query). Such a read
 * does not wait for another request's open transaction on the shared connection, so it may see
 * that transaction's uncommitted writes; use it only for point reads where that is harmless
 * (authentication: a row a transaction is creating has no credential anyone holds yet).
 */
export function prepared<Row>(build: (db: DB) => Compilable<Row>) {
  const compiled = new WeakMap<DB, CompiledQuery<Row>>();
  const sqlOf = (db: DB) => {
    let query = compiled.get(db);
    if (!query) {
      query = build(db).compile();
      compiled.set(db, query);
    }
    return query.sql;
  };
  return {
    async all(db: DB, parameters: readonly unknown[]): Promise<Row[]> {
      const sqlite = sqliteHandles.get(db);
      if (sqlite) return sqlite.prepare(sqlOf(db)).all(parameters) as Row[];
      return (await db.executeQuery<Row>(CompiledQuery.raw(sqlOf(db), parameters as unknown[]) as CompiledQuery<Row>)).rows;
    },
    /** The first row; on SQLite it stops at that row instead of stepping to the end. */
    async first(db: DB, parameters: readonly unknown[]): Promise<Row | undefined> {
      const sqlite = sqliteHandles.get(db);
      if (sqlite) return sqlite.prepare(sqlOf(db)).get(parameters) as Row | undefined;
      return (await this.all(db, parameters))[0];
    },
  };
}
