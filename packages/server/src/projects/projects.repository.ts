import { sql } from 'kysely';
import type { Pagination } from '@acct/shared';
import { insertWithCommit, type DB } from '../db/database.js';
import type { ProjectRow } from '../db/schema.js';
import { decodeCursor, encodeCursor, page } from '../http/pagination.js';

/** Storage of an organization's projects. */

export type ProjectSort = 'createdAt' | '-createdAt' | 'name' | '-name';

/** `%` and `_` in a search term match themselves. */
function likePattern(term: string): string {
  return `%${term.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * One page of an organization's projects, keyset-paginated on (sort column, id), so every
 * page costs one index range scan, and rows with equal names or times are neither skipped nor repeated.
 */
export async function listProjects(
  db: DB,
  input: { organizationId: string; sort: ProjectSort; name?: string | undefined; limit: number; cursor?: string | undefined },
): Promise<{ items: ProjectRow[]; pagination: Pagination }> {
  const desc = input.sort.startsWith('-');
  const column = input.sort.endsWith('name') ? 'name' : 'created_at';
  const cmp = desc ? '<' : '>';
  const cursor = decodeCursor(input.cursor, input.sort);
  let q = db.selectFrom('projects').selectAll().where('organization_id', '=', input.organizationId);
  // lower() and LIKE … ESCAPE are the same in SQLite and PostgreSQL.
  if (input.name !== undefined) q = q.where(sql<boolean>`lower(name) like ${likePattern(input.name)} escape '\\'`);
  if (cursor) q = q.where((eb) => eb.or([eb(column, cmp, cursor.value), eb.and([eb(column, '=', cursor.value), eb('id', cmp, cursor.id)])]));
  const rows = await q.orderBy(column, desc ? 'desc' : 'asc').orderBy('id', desc ? 'desc' : 'asc').limit(input.limit + 1).execute();
  return page(rows, input.limit, (last) => encodeCursor({ sort: input.sort, value: last[column], id: last.id }));
}

/** A project inside that organization, or undefined (someone else's project is not there). */
export async function findOrgProject(db: DB, organizationId: string, id: string): Promise<ProjectRow | undefined> {
  return db.selectFrom('projects').selectAll().where('organization_id', '=', organizationId).where('id', '=', id).executeTakeFirst();
}

const INSERT_PROJECT = insertWithCommit('projects', ['id', 'organization_id', 'name', 'description', 'created_at', 'updated_at']);

/** Inside a transaction on PostgreSQL the row rides with the COMMIT: nothing in the transaction may read it. */
export async function insertProject(db: DB, row: ProjectRow): Promise<void> {
  await INSERT_PROJECT(db, [row.id, row.organization_id, row.name, row.description, row.created_at, row.updated_at]);
}

export async function updateProjectColumns(db: DB, organizationId: string, id: string, changes: Partial<Pick<ProjectRow, 'name' | 'description' | 'updated_at'>>): Promise<void> {
  await db.updateTable('projects').set(changes).where('id', '=', id).where('organization_id', '=', organizationId).execute();
}

export async function deleteProject(db: DB, organizationId: string, id: string): Promise<void> {
  await db.deleteFrom('projects').where('id', '=', id).where('organization_id', '=', organizationId).execute();
}
