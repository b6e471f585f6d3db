import type { Pagination } from '@acct/shared';
import { HttpError } from './http-error.js';

/** Cursors are opaque to clients: base64url of the last id seen (keyset, same cost on every page). */
export function decodeCursor(cursor: string | undefined): string | null {
  if (cursor === undefined || cursor === '') return null;
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^[A-Za-z0-9_]{1,64}$/.test(id)) throw new HttpError('VALIDATION_ERROR', 'cursor is not valid', [{ field: 'cursor', message: 'cursor is not valid' }]);
  return id;
}

export function encodeCursor(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url');
}

/** Takes the `limit + 1` rows a keyset query fetched and splits page and pagination. */
export function page<T extends { id: string }>(rows: T[], limit: number): { items: T[]; pagination: Pagination } {
  const hasMore = rows.length > limit;
  const items = hasMore ? rows.slice(0, limit) : rows;
  const last = items[items.length - 1];
  return { items, pagination: { limit, hasMore, nextCursor: hasMore && last ? encodeCursor(last.id) : null } };
}
