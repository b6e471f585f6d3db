/**
 * GET /api/user/organizations is where the Quick Start (seed 000, step 4) tells a key holder to
 * take the organization id from, with a key of `user:read projects:read projects:write`: the
 * listing accepts `user:read` or `organizations:read`, and a pinned key sees only its organization.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, newKey, newUser, startServer, type RunningServer, type TestUser } from './harness.js';

let server: RunningServer;
let user: TestUser;
let secondOrgId: string;
beforeAll(async () => {
  server = await startServer();
  user = await newUser(server.url, 'org-listing');
  const second = await call(server.url, 'POST', '/api/user/organizations', { cookie: user.cookie, body: { name: 'Second' } });
  expect(second.status).toBe(201);
  secondOrgId = second.body.data.id;
});
afterAll(async () => {
  await server?.stop();
});

const ids = (res: { body: { data: { id: string }[] } }) => res.body.data.map((o) => o.id).sort();

describe('listing the organizations a credential can act in', () => {
  it("the Quick Start's key (user:read projects:read projects:write) lists them", async () => {
    const { key } = await newKey(server.url, user.cookie, ['user:read', 'projects:read', 'projects:write']);
    const res = await call(server.url, 'GET', '/api/user/organizations', { apiKey: key });
    expect(res.status, res.text).toBe(200);
    expect(ids(res)).toEqual([user.organizationId, secondOrgId].sort());
  });

  it('organizations:read alone lists them too', async () => {
    const { key } = await newKey(server.url, user.cookie, ['organizations:read']);
    const res = await call(server.url, 'GET', '/api/user/organizations', { apiKey: key });
    expect(res.status, res.text).toBe(200);
    expect(ids(res)).toEqual([user.organizationId, secondOrgId].sort());
  });

  it('a key pinned to one organization sees only that one, with user:read as with organizations:read', async () => {
    for (const scopes of [['user:read'], ['organizations:read']]) {
      const { key } = await newKey(server.url, user.cookie, scopes, { metadata: { organizationId: secondOrgId } });
      const res = await call(server.url, 'GET', '/api/user/organizations', { apiKey: key });
      expect(res.status, res.text).toBe(200);
      expect(ids(res)).toEqual([secondOrgId]);
    }
  });

  it('a key with neither scope: 403 INSUFFICIENT_SCOPE naming both', async () => {
    const { key } = await newKey(server.url, user.cookie, ['projects:read']);
    const res = await call(server.url, 'GET', '/api/user/organizations', { apiKey: key });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('INSUFFICIENT_SCOPE');
    expect(res.headers.get('x-accepted-scopes')).toBe('organizations:read, user:read');
    expect(res.body.message).toContain('organizations:read or user:read');
  });

  it('user:read does not grant anything else about organizations', async () => {
    const { key } = await newKey(server.url, user.cookie, ['user:read']);
    const one = await call(server.url, 'GET', `/api/user/organizations/${user.organizationId}`, { apiKey: key });
    expect(one.status).toBe(403);
    expect(one.headers.get('x-accepted-scopes')).toBe('organizations:read');
  });
});
