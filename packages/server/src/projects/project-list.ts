import { sql } from 'kysely';
import type { Pagination } from '@acct/shared';
import type { DB } from '../db/database.js';
import type { ProjectRow } from '../db/schema.js';
import { HttpError } from '../http/http-error.js';

export type ProjectSort = 'createdAt' | '-createdAt' | 'name' | '-name';

interface Cursor {
  sort: ProjectSort;
  value: string;
  id: string;
}

const INVALID = () => new HttpError('VALIDATION_ERROR', 'cursor is not valid for this list', [{ field: 'cursor', message: 'cursor is not valid for this list' }]);

/** Opaque to clients: the sort it belongs to and the (sort value, id) of the last row seen. */
export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.sort, c.value, c.id]), 'utf8').toString('base64url');
}

/** A cursor of another sort, or no cursor at all, is a VALIDATION_ERROR, never a wrong page. */
export function decodeCursor(raw: string | undefined, sort: ProjectSort): Cursor | null {
  if (raw === undefined || raw === '') return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw INVALID();
  }
  if (!Array.isArray(parsed) || parsed.length !== 3 || parsed[0] !== sort || typeof parsed[1] !== 'string' || typeof parsed[2] !== 'string') throw INVALID();
  return { sort, value: parsed[1], id: parsed[2] };
}

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
  const hasMore = rows.length > input.limit;
  const items = hasMore ? rows.slice(0, input.limit) : rows;
  const last = items[items.length - 1];
  const nextCursor = hasMore && last ? encodeCursor({ sort: input.sort, value: last[column], id: last.id }) : null;
  return { items, pagination: { limit: input.limit, hasMore, nextCursor } };
}
