import type { EnvelopeLike, Http, HttpRequest, HttpResponse } from './http.js';
import { apiErrorFrom, header } from './http.js';

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
