import type { EnvelopeLike, Http, HttpRequest, HttpResponse } from './http.js';
import { UsageError } from './errors.js';
import { apiErrorFrom, header } from './http.js';
import type { IO } from './io.js';

/** The `rel="next"` target of a Link header (RFC 8288), if any. */
export function nextLink(linkHeader: string | undefined): string | null {
  if (!linkHeader) return null;
  for (const part of linkHeader.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]*)>\s*;(.*)$/.exec(part);
    if (m && /(?:^|;)\s*rel\s*=\s*"?(?:[^";]*\s)?next(?:\s[^";]*)?"?\s*(?:;|$)/i.test(m[2]!)) return m[1]!;
  }
  return null;
}

/**
 * Follows `Link: rel="next"` from a first request, calling `onPage` with each response; stops at
 * the first non-2xx (returned so the caller can report it) or when there is no next page.
 */
export async function followPages(http: Http, first: HttpRequest, onPage: (res: HttpResponse) => void): Promise<HttpResponse> {
  let req: HttpRequest = first;
  for (;;) {
    const res = await http.request(req);
    if (res.status < 200 || res.status >= 300) return res;
    onPage(res);
    const next = nextLink(header(res, 'link'));
    if (!next) return res;
    req = { method: 'GET', path: next, ...(first.headers ? { headers: first.headers } : {}), ...(first.credential ? { credential: first.credential } : {}) };
  }
}

/** Every item of a paginated list. */
export async function collectPages<T>(http: Http, first: HttpRequest): Promise<T[]> {
  const items: T[] = [];
  const last = await followPages(http, first, (res) => {
    const data = (res.json() as EnvelopeLike<T[]> | undefined)?.data;
    if (Array.isArray(data)) items.push(...data);
  });
  if (last.status < 200 || last.status >= 300) throw apiErrorFrom(last);
  return items;
}

/** `--limit N` / `--paginate` of the list commands, as given on the command line. */
export interface ListFlags {
  limit?: string | number | undefined;
  paginate?: boolean | undefined;
}

/** How many items a list shows without --limit or --paginate (as gh does). */
export const DEFAULT_LIST_LIMIT = 30;
const MAX_PAGE = 100;

/** The cap on items (null: every page) from --limit / --paginate; both at once is a usage error. */
export function listCap(flags: ListFlags): number | null {
  if (flags.paginate && flags.limit !== undefined) throw new UsageError('--limit and --paginate cannot be combined: --paginate fetches every page');
  if (flags.paginate) return null;
  if (flags.limit === undefined) return DEFAULT_LIST_LIMIT;
  const n = typeof flags.limit === 'number' ? flags.limit : Number(flags.limit);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--limit must be a whole number of at least 1, not ${flags.limit}`);
  return n;
}

/**
 * Up to `cap` items of a paginated list (every item when `cap` is null), in pages of up to 100;
 * `more` says whether the server had more than were fetched.
 */
export async function collectList<T>(http: Http, first: HttpRequest, cap: number | null): Promise<{ items: T[]; more: boolean }> {
  const items: T[] = [];
  const pageSize = cap === null ? MAX_PAGE : Math.min(cap, MAX_PAGE);
  let req: HttpRequest = { ...first, query: { ...first.query, limit: pageSize } };
  for (;;) {
    const res = await http.request(req);
    if (res.status < 200 || res.status >= 300) throw apiErrorFrom(res);
    const data = (res.json() as EnvelopeLike<T[]> | undefined)?.data;
    if (Array.isArray(data)) items.push(...data);
    const next = nextLink(header(res, 'link'));
    if (cap !== null && items.length >= cap) return { items: items.slice(0, cap), more: items.length > cap || next !== null };
    if (!next) return { items, more: false };
    req = { method: 'GET', path: next, ...(first.headers ? { headers: first.headers } : {}), ...(first.credential ? { credential: first.credential } : {}) };
  }
}

/** On a terminal, says on stderr that the list was cut at the cap and how to see the rest. */
export function noteMore(io: IO, shown: number, more: boolean): void {
  if (more && io.stdoutIsTTY) io.err(`Showing the first ${shown}; see more with --limit N, or every one with --paginate\n`);
}

/**
 * The first `cap` items of a list the server returns whole (organizations, invitations: no
 * cursor), so --limit and --paginate mean the same on every list command.
 */
export function capItems<T>(all: T[], cap: number | null): { items: T[]; more: boolean } {
  if (cap === null || all.length <= cap) return { items: all, more: false };
  return { items: all.slice(0, cap), more: true };
}
