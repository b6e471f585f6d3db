/**
 * A key pinned to an organization acts only inside it, on the account routes too (issue 11,
 * item 6): it sees and manages only keys pinned to its own organization, never the owner's
 * unpinned keys or keys pinned elsewhere, and it cannot reach past its organization.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, newKey, newUser, startServer, type RunningServer, type TestUser } from './harness.js';
import { expectEnvelope, expectNoServerErrors } from './support.js';

let server: RunningServer;
let owner: TestUser;
let orgA: string;
let orgB: string;
let manager: { id: string; key: string };
let unpinned: { id: string; key: string };
let pinnedB: { id: string; key: string };
let pinnedA: { id: string; key: string };

beforeAll(async () => {
  server = await startServer();
  owner = await newUser(server.url, 'pins');
  orgA = owner.organizationId;
  const second = await call(server.url, 'POST', '/api/user/organizations', { cookie: owner.cookie, body: { name: 'Org B' } });
  orgB = second.body.data.id;
  manager = await newKey(server.url, owner.cookie, ['api-keys:read', 'api-keys:write', 'organizations:read', 'organizations:write', 'user:read'], { metadata: { organizationId: orgA } });
  unpinned = await newKey(server.url, owner.cookie, ['user:read']);
  pinnedB = await newKey(server.url, owner.cookie, ['user:read'], { metadata: { organizationId: orgB } });
  pinnedA = await newKey(server.url, owner.cookie, ['user:read'], { metadata: { organizationId: orgA } });
});
afterAll(async () => {
  expectNoServerErrors(server);
  await server.stop();
});

const me = (key: string) => call(server.url, 'GET', '/api/user/me', { apiKey: key });

describe('a key pinned to organization A', () => {
  it('lists only the keys pinned to A', async () => {
    const res = await call(server.url, 'GET', '/api/auth/api-key/list?limit=100', { apiKey: manager.key });
    expectEnvelope(res, 200, 'OK');
    expect(res.body.data.map((k: { id: string }) => k.id).sort()).toEqual([manager.id, pinnedA.id].sort());
    const session = await call(server.url, 'GET', '/api/auth/api-key/list?limit=100', { cookie: owner.cookie });
    expect(session.body.data.map((k: { id: string }) => k.id)).toEqual(expect.arrayContaining([unpinned.id, pinnedB.id]));
  });

  it("cannot read the owner's unpinned keys or keys pinned to another organization (events, IPs): 404", async () => {
    for (const target of [unpinned, pinnedB]) {
      const res = await call(server.url, 'GET', `/api/auth/api-key/get?id=${target.id}`, { apiKey: manager.key });
      expectEnvelope(res, 404, 'NOT_FOUND');
    }
    const own = await call(server.url, 'GET', `/api/auth/api-key/get?id=${pinnedA.id}`, { apiKey: manager.key });
    expectEnvelope(own, 200, 'OK');
    expect(own.body.data.events.length).toBeGreaterThan(0);
  });

  it("cannot revoke the owner's unpinned keys or keys pinned to another organization, and they keep working", async () => {
    for (const target of [unpinned, pinnedB]) {
      const res = await call(server.url, 'POST', '/api/auth/api-key/delete', { apiKey: manager.key, body: { id: target.id } });
      expectEnvelope(res, 404, 'NOT_FOUND');
      expect((await me(target.key)).status).toBe(200);
    }
  });

  it('revokes a key pinned to its own organization', async () => {
    const victim = await newKey(server.url, owner.cookie, ['user:read'], { metadata: { organizationId: orgA } });
    const res = await call(server.url, 'POST', '/api/auth/api-key/delete', { apiKey: manager.key, body: { id: victim.id } });
    expectEnvelope(res, 200, 'OK');
    expect((await me(victim.key)).status).toBe(401);
  });

  it('lists only organization A and cannot create organizations', async () => {
    const orgs = await call(server.url, 'GET', '/api/user/organizations', { apiKey: manager.key });
    expect(orgs.body.data.map((o: { id: string }) => o.id)).toEqual([orgA]);
    const created = await call(server.url, 'POST', '/api/user/organizations', { apiKey: manager.key, body: { name: 'Escape' } });
    expectEnvelope(created, 403, 'ORGANIZATION_MISMATCH');
    const after = await call(server.url, 'GET', '/api/user/organizations', { cookie: owner.cookie });
    expect(after.body.data.map((o: { name: string }) => o.name)).not.toContain('Escape');
  });
});
