import type { Database as SQLiteDatabase, Statement } from 'better-sqlite3';
import type { SqliteDatabase } from 'kysely';

/**
 * What kysely's SqliteDialect sees of better-sqlite3, with prepared statements reused by SQL text.
 * Kysely prepares every query afresh, and preparing (parsing and planning) costs SQLite more than
 * running the indexed reads that authenticate a request. Reuse is safe here: kysely runs one query
 * at a time on its single connection, a statement carries no state between runs (kysely sets no
 * raw/pluck/expand/safeIntegers mode), and SQLite re-prepares a statement itself after a schema
 * change. The cache is an LRU bounded by `maxEntries` (queries with variable IN lists differ in text).
 */
const NOTHING_TO_ROLL_BACK = { reader: false, run: () => ({ changes: 0, lastInsertRowid: 0 }) };

export function withStatementCache(sqlite: SQLiteDatabase, beforeClose?: () => void, maxEntries = 500): SqliteDatabase {
  const statements = new Map<string, Statement>();
  return {
    close() {
      beforeClose?.();
      statements.clear();
      sqlite.close();
    },
    prepare(sql: string) {
      // SQLite itself rolls a transaction back on some errors (SQLITE_FULL, SQLITE_IOERR…); kysely's
      // ROLLBACK would then throw "no transaction is active" and hide the cause the client needs.
      if (sql === 'rollback' && !sqlite.inTransaction) return NOTHING_TO_ROLL_BACK as unknown as Statement;
      let statement = statements.get(sql);
      if (statement) {
        statements.delete(sql);
      } else {
        statement = sqlite.prepare(sql);
        if (statements.size >= maxEntries) {
          const oldest = statements.keys().next().value;
          if (oldest !== undefined) statements.delete(oldest);
        }
      }
      statements.set(sql, statement);
      return statement;
    },
  };
}
