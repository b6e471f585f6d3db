import type { Pagination } from '@acct/shared';
import { HttpError } from './http-error.js';

/**
 * Cursors are opaque to clients: base64url of the last id seen (keyset, same cost on every
 * page), or for a list sorted on another column, of `[sort, value, id]` so that a cursor of
 * one sort is refused by another instead of giving a wrong page.
 */
export interface SortedCursor {
  sort: string;
  value: string;
  id: string;
}

const INVALID = (message: string) => new HttpError('VALIDATION_ERROR', message, [{ field: 'cursor', message }]);

/** The id cursor of a list in id order, or (with `sort`) the cursor of a list sorted by `sort`; null for none. */
export function decodeCursor(cursor: string | undefined): string | null;
export function decodeCursor(cursor: string | undefined, sort: string): SortedCursor | null;
export function decodeCursor(cursor: string | undefined, sort?: string): string | SortedCursor | null {
  if (cursor === undefined || cursor === '') return null;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (sort === undefined) {
    if (!/^[A-Za-z0-9_]{1,64}$/.test(text)) throw INVALID('cursor is not valid');
    return text;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw INVALID('cursor is not valid for this list');
  }
  if (!Array.isArray(parsed) || parsed.length !== 3 || parsed[0] !== sort || typeof parsed[1] !== 'string' || typeof parsed[2] !== 'string')
    throw INVALID('cursor is not valid for this list');
  return { sort, value: parsed[1], id: parsed[2] };
}

export function encodeCursor(cursor: string | SortedCursor): string {
  const text = typeof cursor === 'string' ? cursor : JSON.stringify([cursor.sort, cursor.value, cursor.id]);
  return Buffer.from(text, 'utf8').toString('base64url');
}

/**
 * Takes the `limit + 1` rows a keyset query fetched and splits page and pagination; `cursorOf`
 * makes the next cursor from the last row (its id by default).
 */
export function page<T extends { id: string }>(rows: T[], limit: number, cursorOf: (last: T) => string = (last) => encodeCursor(last.id)): { items: T[]; pagination: Pagination } {
  const hasMore = rows.length > limit;
  const items = hasMore ? rows.slice(0, limit) : rows;
  const last = items[items.length - 1];
  return { items, pagination: { limit, hasMore, nextCursor: hasMore && last ? cursorOf(last) : null } };
}
