/**
 * Cursor pagination (API.md "Envelope"): `limit`, `meta.pagination`, and GitHub's
 * `Link: <…>; rel="next"`, which a client can follow to the end and see every item once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newKey, newUser, startServer, type RunningServer, type TestUser } from './harness.js';
import { api, expectEnvelope, expectNoServerErrors, expectValidationError } from './support.js';

let server: RunningServer;
let user: TestUser;
const projectIds: string[] = [];
const keyIds: string[] = [];

beforeAll(async () => {
  server = await startServer();
  user = await newUser(server.url, 'pages');
  for (let i = 0; i < 25; i++) {
    const res = await api(server.url, 'POST', projects(), { cookie: user.cookie, body: { name: `Project ${String(i).padStart(2, '0')}` } });
    projectIds.push(res.body.data.id);
  }
  for (let i = 0; i < 12; i++) keyIds.push((await newKey(server.url, user.cookie, ['user:read'])).id);
});
afterAll(async () => {
  expectNoServerErrors(server);
  await server.stop();
});

function projects(): string {
  return `/api/user/organizations/${user.organizationId}/projects`;
}

/** The target of `Link: <…>; rel="next"`, or null. */
function nextOf(link: string | null): string | null {
  if (!link) return null;
  const m = /^<([^>]+)>;\s*rel="next"$/.exec(link);
  expect(m, `Link header: ${link}`).not.toBeNull();
  return m![1]!;
}

/** Follows the Link headers from `first` to the end; returns every page. */
async function walk(first: string): Promise<{ ids: string[]; pages: { count: number; pagination: any; link: string | null }[] }> {
  const ids: string[] = [];
  const pages = [];
  let url: string | null = first;
  while (url) {
    expect(url.startsWith(server.url), url).toBe(true);
    const res = await api(server.url, 'GET', url.slice(server.url.length), { cookie: user.cookie });
    expectEnvelope(res, 200, 'OK');
    ids.push(...res.body.data.map((item: { id: string }) => item.id));
    const link = res.headers.get('link');
    pages.push({ count: res.body.data.length, pagination: res.body.meta.pagination, link });
    url = nextOf(link);
    expect(pages.length).toBeLessThan(50);
  }
  return { ids, pages };
}

describe.each([
  ['projects', () => projects(), () => projectIds, 10, 'oldest first'],
  ['api-key/list', () => '/api/auth/api-key/list', () => [...keyIds].reverse(), 5, 'newest first'],
] as const)('%s', (_, path, expected, limit, order) => {
  it(`walking the Link headers with limit=${limit} returns every item once, ${order}`, async () => {
    const { ids, pages } = await walk(`${server.url}${path()}?limit=${limit}`);
    // Keys made by other tests of this file may exist; ours must all be there, once, in order.
    const ours = ids.filter((id) => expected().includes(id));
    expect(ours).toEqual(expected());
    expect(new Set(ids).size).toBe(ids.length);
    for (const [i, page] of pages.entries()) {
      const last = i === pages.length - 1;
      expect(page.pagination.limit).toBe(limit);
      expect(page.pagination.hasMore).toBe(!last);
      expect(page.link === null).toBe(last);
      expect(page.pagination.nextCursor === null).toBe(last);
      if (!last) expect(page.count).toBe(limit);
    }
    expect(pages.length).toBe(Math.ceil(ids.length / limit));
  });

  it('defaults to 20 items and keeps the limit in the next link', async () => {
    const res = await api(server.url, 'GET', path(), { cookie: user.cookie });
    expect(res.body.meta.pagination.limit).toBe(20);
    expect(res.body.data.length).toBe(Math.min(20, expected().length));
    const next = nextOf((await api(server.url, 'GET', `${path()}?limit=3`, { cookie: user.cookie })).headers.get('link'));
    expect(new URL(next!).searchParams.get('limit')).toBe('3');
    expect(new URL(next!).searchParams.get('cursor')).toBeTruthy();
  });

  it('refuses a limit outside 1..100 and a forged cursor', async () => {
    for (const l of ['0', '101', '-1', 'ten']) expectValidationError(await api(server.url, 'GET', `${path()}?limit=${l}`, { cookie: user.cookie }), 'limit');
    for (const c of ['%00%00', 'not base64 at all!', Buffer.from("x' OR 1=1 --").toString('base64url')]) {
      expectValidationError(await api(server.url, 'GET', `${path()}?cursor=${c}`, { cookie: user.cookie }), 'cursor');
    }
  });
});

describe('keyset cursors', () => {
  it('skip nothing when an item of an earlier page is deleted mid-walk', async () => {
    const first = await api(server.url, 'GET', `${projects()}?limit=5`, { cookie: user.cookie });
    const victim = first.body.data[2].id as string;
    expectEnvelope(await api(server.url, 'DELETE', `${projects()}/${victim}`, { cookie: user.cookie }), 200, 'OK');
    const second = await api(server.url, 'GET', `${projects()}?limit=5&cursor=${first.body.meta.pagination.nextCursor}`, { cookie: user.cookie });
    expect(second.body.data.map((p: { id: string }) => p.id)).toEqual(projectIds.slice(5, 10));
  });
});
