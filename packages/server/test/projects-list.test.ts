import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newUser, startServer, type RunningServer, type TestUser } from './harness.js';
import { api, expectEnvelope, expectNoServerErrors, expectValidationError } from './support.js';
import { orgPath } from './tenancy-support.js';

let server: RunningServer;
let user: TestUser;
const NAMES = ['beta', 'Alpha', 'gamma', 'alpha', 'Beta', 'delta', '100%_done', '100 done', 'alpha', 'Omega'];
beforeAll(async () => {
  server = await startServer({ ACCT_RATE_LIMITS: 'off' });
  user = await newUser(server.url, 'lister');
  // One at a time, so creation order is the order above.
  for (const name of NAMES) expectEnvelope(await api(server.url, 'POST', orgPath(user.organizationId, '/projects'), { cookie: user.cookie, body: { name } }), 201, 'OK');
});
afterAll(async () => {
  expectNoServerErrors(server);
  await server.stop();
});

/** Follows `nextCursor` through every page of `limit` items. */
async function walk(query: string, limit: number): Promise<any[]> {
  const out: any[] = [];
  let cursor = '';
  for (let i = 0; i < 50; i++) {
    const res = await api(server.url, 'GET', orgPath(user.organizationId, `/projects?limit=${limit}${query}${cursor ? `&cursor=${cursor}` : ''}`), { cookie: user.cookie });
    expectEnvelope(res, 200, 'OK');
    expect(res.body.data.length).toBeLessThanOrEqual(limit);
    out.push(...res.body.data);
    if (!res.body.meta.pagination.hasMore) return out;
    cursor = res.body.meta.pagination.nextCursor;
  }
  throw new Error('pagination did not end');
}

const byCode = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

describe('project list', () => {
  it('pages through every sort, with ties, without skipping or repeating a project', async () => {
    const all = await walk('', 100);
    expect(all.map((p) => p.name)).toEqual(NAMES);
    for (const limit of [1, 2, 3]) {
      expect((await walk('&sort=createdAt', limit)).map((p) => p.id)).toEqual(all.map((p) => p.id));
      expect((await walk('&sort=-createdAt', limit)).map((p) => p.id)).toEqual([...all].reverse().map((p) => p.id));
      const byName = [...all].sort((a, b) => byCode(a.name, b.name) || byCode(a.id, b.id));
      expect((await walk('&sort=name', limit)).map((p) => p.id)).toEqual(byName.map((p) => p.id));
      expect((await walk('&sort=-name', limit)).map((p) => p.id)).toEqual([...byName].reverse().map((p) => p.id));
    }
  });

  it('filters by a case-insensitive substring of the name, % and _ included literally', async () => {
    expect((await walk('&name=ALPHA&sort=name', 1)).map((p) => p.name)).toEqual(['Alpha', 'alpha', 'alpha']);
    expect((await walk('&name=eta&sort=-name', 2)).map((p) => p.name)).toEqual(['beta', 'Beta']);
    expect((await walk(`&name=${encodeURIComponent('%_')}`, 5)).map((p) => p.name)).toEqual(['100%_done']);
    expect((await walk(`&name=${encodeURIComponent('0 d')}`, 5)).map((p) => p.name)).toEqual(['100 done']);
    expect(await walk('&name=zzz', 5)).toEqual([]);
  });

  it('refuses a cursor from another sort, unknown sorts and bad filters', async () => {
    const first = await api(server.url, 'GET', orgPath(user.organizationId, '/projects?limit=1&sort=name'), { cookie: user.cookie });
    const cursor = first.body.meta.pagination.nextCursor;
    expect(first.headers.get('link')).toContain('sort=name');
    expectValidationError(await api(server.url, 'GET', orgPath(user.organizationId, `/projects?sort=-createdAt&cursor=${cursor}`), { cookie: user.cookie }), 'cursor');
    expectValidationError(await api(server.url, 'GET', orgPath(user.organizationId, '/projects?cursor=not-base64-json'), { cookie: user.cookie }), 'cursor');
    expectValidationError(await api(server.url, 'GET', orgPath(user.organizationId, '/projects?sort=size'), { cookie: user.cookie }), 'sort');
    expectValidationError(await api(server.url, 'GET', orgPath(user.organizationId, '/projects?name='), { cookie: user.cookie }), 'name');
    expectValidationError(await api(server.url, 'GET', orgPath(user.organizationId, `/projects?name=${'x'.repeat(101)}`), { cookie: user.cookie }), 'name');
    expectValidationError(await api(server.url, 'GET', orgPath(user.organizationId, '/projects?name=a&name=b'), { cookie: user.cookie }), 'name');
    expectValidationError(await api(server.url, 'GET', orgPath(user.organizationId, '/projects?owner=me'), { cookie: user.cookie }), 'owner');
  });
});
