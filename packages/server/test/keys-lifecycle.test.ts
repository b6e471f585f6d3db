import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, newKey, newUser, startServer, withTestDb, type RunningServer, type TestUser } from './harness.js';

let server: RunningServer;
let owner: TestUser;

beforeAll(async () => {
  server = await startServer();
  owner = await newUser(server.url, 'owner');
});
afterAll(async () => {
  await server.stop();
});

const me = (key: string) => call(server.url, 'GET', '/api/user/me', { apiKey: key });

describe('key lifecycle', () => {
  it('get shows the key without its secret, with its history', async () => {
    const { id, key } = await newKey(server.url, owner.cookie, ['user:read']);
    const got = await call(server.url, 'GET', `/api/auth/api-key/get?id=${id}`, { cookie: owner.cookie });
    expect(got.status).toBe(200);
    expect(got.body.data.start).toBe(key.slice(0, 7));
    expect(got.text).not.toContain(key.slice(7));
    expect(got.body.data.events.map((e: { kind: string }) => e.kind)).toEqual(['created']);
  });

  it('records lastUsedAt and the last-used IP', async () => {
    const { id, key } = await newKey(server.url, owner.cookie, ['user:read']);
    expect((await me(key)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 100));
    const got = await call(server.url, 'GET', `/api/auth/api-key/get?id=${id}`, { cookie: owner.cookie });
    expect(got.body.data.lastUsedAt).not.toBeNull();
    expect(got.body.data.lastUsedIp).toMatch(/127\.0\.0\.1/);
  });

  it('revocation takes effect on the very next request and the key stays listed as revoked', async () => {
    const { id, key } = await newKey(server.url, owner.cookie, ['user:read']);
    expect((await me(key)).status).toBe(200);
    const revoked = await call(server.url, 'POST', '/api/auth/api-key/delete', { cookie: owner.cookie, body: { id } });
    expect(revoked.status).toBe(200);
    expect(revoked.body.data.status).toBe('revoked');
    const after = await me(key);
    expect(after.status).toBe(401);
    expect(after.body.code).toBe('INVALID_TOKEN');
    const listed = await call(server.url, 'GET', '/api/auth/api-key/list?status=revoked&limit=100', { cookie: owner.cookie });
    expect(listed.body.data.map((k: { id: string }) => k.id)).toContain(id);
    const active = await call(server.url, 'GET', '/api/auth/api-key/list?status=active&limit=100', { cookie: owner.cookie });
    expect(active.body.data.map((k: { id: string }) => k.id)).not.toContain(id);
  });

  it('an expired key answers TOKEN_EXPIRED and lists as expired', async () => {
    const { id, key } = await newKey(server.url, owner.cookie, ['user:read'], { expiresIn: 3600 });
    expect((await me(key)).status).toBe(200);
    await withTestDb(server, (db) => db.run('UPDATE api_keys SET expires_at = ? WHERE id = ?', [new Date(Date.now() - 1000).toISOString(), id]));
    const res = await me(key);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('TOKEN_EXPIRED');
    const expired = await call(server.url, 'GET', '/api/auth/api-key/list?status=expired', { cookie: owner.cookie });
    expect(expired.body.data.map((k: { id: string }) => k.id)).toContain(id);
  });

  it('update renames, disables and narrows, but never widens scopes', async () => {
    const { id, key } = await newKey(server.url, owner.cookie, ['user:read', 'projects:read']);
    const narrowed = await call(server.url, 'POST', '/api/auth/api-key/update', { cookie: owner.cookie, body: { id, name: 'renamed', scopes: ['projects:read'] } });
    expect(narrowed.status).toBe(200);
    expect(narrowed.body.data).toMatchObject({ name: 'renamed', scopes: ['projects:read'] });
    const meRes = await me(key);
    expect(meRes.status).toBe(403);
    expect(meRes.body.code).toBe('INSUFFICIENT_SCOPE');
    const widened = await call(server.url, 'POST', '/api/auth/api-key/update', { cookie: owner.cookie, body: { id, scopes: ['projects:read', 'user:read'] } });
    expect(widened.status).toBe(400);
    expect(widened.body.errors[0].field).toBe('scopes');
    const disabled = await call(server.url, 'POST', '/api/auth/api-key/update', { cookie: owner.cookie, body: { id, enabled: false } });
    expect(disabled.body.data.status).toBe('disabled');
    const orgs = await call(server.url, 'GET', `/api/user/organizations/${owner.organizationId}/projects`, { apiKey: key });
    expect(orgs.status).toBe(401);
    await call(server.url, 'POST', '/api/auth/api-key/update', { cookie: owner.cookie, body: { id, enabled: true } });
    expect((await call(server.url, 'GET', `/api/user/organizations/${owner.organizationId}/projects`, { apiKey: key })).status).toBe(200);
  });

  it('rotation without grace stops the old secret at once; the new one works under the same id', async () => {
    const { id, key } = await newKey(server.url, owner.cookie, ['user:read']);
    expect((await me(key)).status).toBe(200);
    const rotated = await call(server.url, 'POST', '/api/auth/api-key/rotate', { cookie: owner.cookie, body: { id } });
    expect(rotated.status).toBe(200);
    expect(rotated.body.data.id).toBe(id);
    const fresh = rotated.body.data.key as string;
    expect(fresh).not.toBe(key);
    expect((await me(key)).body.code).toBe('INVALID_TOKEN');
    expect((await me(fresh)).status).toBe(200);
  });

  it('rotation with grace keeps the old secret working until the grace period ends', async () => {
    const { id, key } = await newKey(server.url, owner.cookie, ['user:read']);
    const rotated = await call(server.url, 'POST', '/api/auth/api-key/rotate', { cookie: owner.cookie, body: { id, gracePeriod: 3600 } });
    expect(rotated.body.data.previousSecretExpiresAt).not.toBeNull();
    expect((await me(key)).status).toBe(200);
    expect((await me(rotated.body.data.key)).status).toBe(200);
    // End the grace period by moving its end into the past, as time would.
    await withTestDb(server, (db) => db.run('UPDATE api_keys SET previous_expires_at = ? WHERE id = ?', [new Date(Date.now() - 1000).toISOString(), id]));
    expect((await me(key)).body.code).toBe('INVALID_TOKEN');
    expect((await me(rotated.body.data.key)).status).toBe(200);
  });

  it('rotating is session-only: a key cannot mint secrets', async () => {
    const { id, key } = await newKey(server.url, owner.cookie, ['api-keys:write', 'api-keys:read']);
    const res = await call(server.url, 'POST', '/api/auth/api-key/rotate', { apiKey: key, body: { id } });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('FORBIDDEN');
    const create = await call(server.url, 'POST', '/api/auth/api-key/create', { apiKey: key, body: { name: 'x', scopes: ['user:read'] } });
    expect(create.status).toBe(403);
  });

  it('a key with api-keys:write may revoke keys but not change them (re-enabling is a credential change)', async () => {
    const manager = await newKey(server.url, owner.cookie, ['api-keys:write', 'api-keys:read']);
    const target = await newKey(server.url, owner.cookie, ['user:read']);
    await call(server.url, 'POST', '/api/auth/api-key/update', { cookie: owner.cookie, body: { id: target.id, enabled: false } });
    const enable = await call(server.url, 'POST', '/api/auth/api-key/update', { apiKey: manager.key, body: { id: target.id, enabled: true } });
    expect(enable.status).toBe(403);
    expect((await me(target.key)).status).toBe(401);
    const revoke = await call(server.url, 'POST', '/api/auth/api-key/delete', { apiKey: manager.key, body: { id: target.id } });
    expect(revoke.status).toBe(200);
    expect(revoke.body.data.status).toBe('revoked');
  });

  it("someone else's key is a 404 for get, update, revoke and rotate", async () => {
    const other = await newUser(server.url, 'other');
    const { id } = await newKey(server.url, other.cookie, ['user:read']);
    expect((await call(server.url, 'GET', `/api/auth/api-key/get?id=${id}`, { cookie: owner.cookie })).status).toBe(404);
    expect((await call(server.url, 'POST', '/api/auth/api-key/update', { cookie: owner.cookie, body: { id, name: 'x' } })).status).toBe(404);
    expect((await call(server.url, 'POST', '/api/auth/api-key/delete', { cookie: owner.cookie, body: { id } })).status).toBe(404);
    expect((await call(server.url, 'POST', '/api/auth/api-key/rotate', { cookie: owner.cookie, body: { id } })).status).toBe(404);
  });

  it('a reported leak revokes the key and tells the owner; the answer never says whose it was', async () => {
    const { id, key } = await newKey(server.url, owner.cookie, ['user:read']);
    const reported = await call(server.url, 'POST', '/api/auth/api-key/report-leak', { body: { key } });
    const madeUp = await call(server.url, 'POST', '/api/auth/api-key/report-leak', { body: { key: `ba_${'x'.repeat(50)}` } });
    expect(reported.status).toBe(200);
    expect(reported.body.data).toEqual({ ok: true, outcome: 'revoked' });
    expect(madeUp.body.data).toEqual({ ok: true, outcome: 'inactive' });
    expect(reported.text).not.toContain(owner.email);
    expect(reported.text).not.toContain(id);
    expect((await me(key)).body.code).toBe('INVALID_TOKEN');
    const got = await call(server.url, 'GET', `/api/auth/api-key/get?id=${id}`, { cookie: owner.cookie });
    expect(got.body.data.status).toBe('revoked');
    expect(got.body.data.events.map((e: { kind: string }) => e.kind)).toContain('leak-reported');
  });

  it('a pinned key works only on its organization', async () => {
    const second = await call(server.url, 'POST', '/api/user/organizations', { cookie: owner.cookie, body: { name: 'Second' } });
    const { key } = await newKey(server.url, owner.cookie, ['projects:read', 'organizations:read'], { metadata: { organizationId: owner.organizationId } });
    expect((await call(server.url, 'GET', `/api/user/organizations/${owner.organizationId}/projects`, { apiKey: key })).status).toBe(200);
    const other = await call(server.url, 'GET', `/api/user/organizations/${second.body.data.id}/projects`, { apiKey: key });
    expect(other.status).toBe(403);
    expect(other.body.code).toBe('ORGANIZATION_MISMATCH');
    const orgs = await call(server.url, 'GET', '/api/user/organizations', { apiKey: key });
    expect(orgs.body.data.map((o: { id: string }) => o.id)).toEqual([owner.organizationId]);
  });
});

describe('keys under concurrency', () => {
  it('200 keys created in parallel are all usable and none is lost', async () => {
    const created = await Promise.all(Array.from({ length: 200 }, (_, i) => call(server.url, 'POST', '/api/auth/api-key/create', { cookie: owner.cookie, body: { name: `bulk ${i}`, scopes: ['user:read'] } })));
    expect(created.every((r) => r.status === 200)).toBe(true);
    const keys = created.map((r) => r.body.data.key as string);
    expect(new Set(keys).size).toBe(200);
    const uses = await Promise.all(keys.map((k) => me(k)));
    expect(uses.filter((r) => r.status === 200)).toHaveLength(200);
    const ids = new Set(created.map((r) => r.body.data.id as string));
    const seen = new Set<string>();
    let cursor: string | null = null;
    do {
      const listed: Awaited<ReturnType<typeof call>> = await call(server.url, 'GET', `/api/auth/api-key/list?limit=100${cursor ? `&cursor=${cursor}` : ''}`, { cookie: owner.cookie });
      for (const k of listed.body.data) seen.add(k.id);
      cursor = listed.body.meta.pagination.nextCursor;
    } while (cursor);
    for (const id of ids) expect(seen.has(id)).toBe(true);
  });

  it('parallel revoke and use never lets a revoked key through after the revoke response', async () => {
    const { id, key } = await newKey(server.url, owner.cookie, ['user:read']);
    let revokedAt = 0;
    const uses: Promise<{ status: number; sentAt: number }>[] = [];
    const revoke = (async () => {
      await new Promise((r) => setTimeout(r, 20));
      await call(server.url, 'POST', '/api/auth/api-key/delete', { cookie: owner.cookie, body: { id } });
      revokedAt = performance.now();
    })();
    for (let i = 0; i < 100; i++) {
      uses.push((async () => {
        await new Promise((r) => setTimeout(r, i));
        const sentAt = performance.now();
        const res = await me(key);
        return { status: res.status, sentAt };
      })());
    }
    await revoke;
    const results = await Promise.all(uses);
    const afterRevoke = results.filter((r) => r.sentAt > revokedAt);
    expect(afterRevoke.every((r) => r.status === 401)).toBe(true);
    for (let i = 0; i < 5; i++) expect((await me(key)).status).toBe(401);
  });
});

describe('two server processes on one database', () => {
  it('a key revoked through one is refused by the other on its next request', async () => {
    const twin = await startServer({}, server.dataDir);
    try {
      const { id, key } = await newKey(server.url, owner.cookie, ['user:read']);
      expect((await call(twin.url, 'GET', '/api/user/me', { apiKey: key })).status).toBe(200);
      expect((await me(key)).status).toBe(200);
      await call(server.url, 'POST', '/api/auth/api-key/delete', { cookie: owner.cookie, body: { id } });
      const res = await call(twin.url, 'GET', '/api/user/me', { apiKey: key });
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('INVALID_TOKEN');
    } finally {
      await twin.stop();
    }
  });
});
