import { CompiledQuery, type Compilable } from 'kysely';
import type { DB } from './database.js';

/**
 * A query built and compiled once per database, then run with new parameters: kysely's
 * building and compiling cost more than the indexed read itself on the authentication path.
 * `build` must use placeholder values in the order `run` will pass them.
 */
export function prepared<Row>(build: (db: DB) => Compilable<Row>) {
  const compiled = new WeakMap<DB, CompiledQuery<Row>>();
  return {
    async all(db: DB, parameters: readonly unknown[]): Promise<Row[]> {
      let query = compiled.get(db);
      if (!query) {
        query = build(db).compile();
        compiled.set(db, query);
      }
      const result = await db.executeQuery<Row>(CompiledQuery.raw(query.sql, parameters as unknown[]) as CompiledQuery<Row>);
      return result.rows;
    },
    async first(db: DB, parameters: readonly unknown[]): Promise<Row | undefined> {
      return (await this.all(db, parameters))[0];
    },
  };
}
