import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, newKey, newUser, startServer, withTestDb, type RunningServer, type TestUser } from './harness.js';

let server: RunningServer;
let admin: TestUser;
let teamId: string;
const org = () => `/api/user/organizations/${admin.organizationId}`;

beforeAll(async () => {
  server = await startServer();
  admin = await newUser(server.url, 'team-admin');
  const team = await call(server.url, 'POST', `${org()}/teams`, { cookie: admin.cookie, body: { name: 'Deploys' } });
  if (team.status !== 201) throw new Error(`team creation failed: ${team.text}`);
  teamId = team.body.data.id;
});
afterAll(async () => {
  await server.stop();
});

/** Invitations go only to verified addresses; these tests are about keys, so verify directly. */
async function markVerified(userId: string) {
  await withTestDb(server, (db) => db.run('UPDATE users SET email_verified_at = ? WHERE id = ?', [new Date().toISOString(), userId]));
}

async function teamKey(scopes = ['intake:write', 'teams:read']) {
  const res = await call(server.url, 'POST', `${org()}/teams/${teamId}/keys`, { cookie: admin.cookie, body: { name: 'ingest', scopes } });
  expect(res.status).toBe(201);
  return res.body.data as { id: string; key: string; start: string };
}

describe('team keys', () => {
  it('are shown once with their own prefix and stored only as an Argon2id hash', async () => {
    const created = await teamKey();
    expect(created.key).toMatch(/^bt_[0-9A-Za-z]{50}$/);
    const list = await call(server.url, 'GET', `${org()}/teams/${teamId}/keys`, { cookie: admin.cookie });
    expect(list.text).not.toContain(created.key);
    expect(list.body.data[0].start).toBe(created.key.slice(0, 7));
    const [row] = await withTestDb(server, (db) => db.all<{ secret_hash: string }>('SELECT secret_hash FROM team_keys WHERE id = ?', [created.id]));
    expect(row!.secret_hash).toMatch(/^\$argon2id\$/);
  });

  it('deliver to their own team by Authorization: Bearer and X-Api-Key alike', async () => {
    const { key } = await teamKey();
    const bearer = await call(server.url, 'POST', `/api/intake/${teamId}`, { bearer: key, body: { event: 'deploy', n: 1 } });
    expect(bearer.status).toBe(202);
    const header = await call(server.url, 'POST', `/api/intake/${teamId}`, { apiKey: key, body: { event: 'deploy', n: 2 } });
    expect(header.status).toBe(202);
    const listed = await call(server.url, 'GET', `${org()}/teams/${teamId}/intake`, { bearer: key });
    expect(listed.status).toBe(200);
    expect(listed.body.data.slice(0, 2).map((e: { payload: { n: number } }) => e.payload.n)).toEqual([2, 1]);
    expect(listed.body.data[0].via.kind).toBe('team-key');
  });

  it('cannot act as a person or for another team', async () => {
    const { key } = await teamKey();
    const me = await call(server.url, 'GET', '/api/user/me', { bearer: key });
    expect(me.status).toBe(403);
    const other = await call(server.url, 'POST', `${org()}/teams`, { cookie: admin.cookie, body: { name: 'Other' } });
    const elsewhere = await call(server.url, 'POST', `/api/intake/${other.body.data.id}`, { bearer: key, body: {} });
    expect(elsewhere.status).toBe(403);
    const projects = await call(server.url, 'GET', `${org()}/projects`, { bearer: key });
    expect(projects.status).toBe(403);
  });

  it('need the scope for each route', async () => {
    const { key } = await teamKey(['teams:read']);
    const res = await call(server.url, 'POST', `/api/intake/${teamId}`, { bearer: key, body: { a: 1 } });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('INSUFFICIENT_SCOPE');
    expect(res.headers.get('x-accepted-scopes')).toBe('intake:write');
  });

  it('can hold no more than member-level scopes', async () => {
    const res = await call(server.url, 'POST', `${org()}/teams/${teamId}/keys`, { cookie: admin.cookie, body: { name: 'x', scopes: ['members:write'] } });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].field).toBe('scopes');
  });

  it('revoked: refused on the next request, still listed', async () => {
    const { id, key } = await teamKey();
    expect((await call(server.url, 'POST', `/api/intake/${teamId}`, { bearer: key, body: {} })).status).toBe(202);
    const revoked = await call(server.url, 'POST', `${org()}/teams/${teamId}/keys/${id}/revoke`, { cookie: admin.cookie });
    expect(revoked.body.data.status).toBe('revoked');
    const after = await call(server.url, 'POST', `/api/intake/${teamId}`, { bearer: key, body: {} });
    expect(after.status).toBe(401);
    expect(after.body.code).toBe('INVALID_TOKEN');
    const listed = await call(server.url, 'GET', `${org()}/teams/${teamId}/keys?status=revoked`, { cookie: admin.cookie });
    expect(listed.body.data.map((k: { id: string }) => k.id)).toContain(id);
  });

  it('rotate with and without grace', async () => {
    const { id, key } = await teamKey();
    const graced = await call(server.url, 'POST', `${org()}/teams/${teamId}/keys/${id}/rotate`, { cookie: admin.cookie, body: { gracePeriod: 600 } });
    expect(graced.status).toBe(200);
    expect((await call(server.url, 'POST', `/api/intake/${teamId}`, { bearer: key, body: {} })).status).toBe(202);
    expect((await call(server.url, 'POST', `/api/intake/${teamId}`, { bearer: graced.body.data.key, body: {} })).status).toBe(202);
    const hard = await call(server.url, 'POST', `${org()}/teams/${teamId}/keys/${id}/rotate`, { cookie: admin.cookie, body: {} });
    expect((await call(server.url, 'POST', `/api/intake/${teamId}`, { bearer: graced.body.data.key, body: {} })).status).toBe(401);
    expect((await call(server.url, 'POST', `/api/intake/${teamId}`, { bearer: key, body: {} })).status).toBe(401);
    expect((await call(server.url, 'POST', `/api/intake/${teamId}`, { bearer: hard.body.data.key, body: {} })).status).toBe(202);
  });

  it('keep working when their creator leaves the organization', async () => {
    const owner = await newUser(server.url, 'owner2');
    const creator = await newUser(server.url, 'creator');
    await markVerified(creator.id);
    // The creator joins the owner's organization as an admin, makes a team and a key, then is removed.
    const o = `/api/user/organizations/${owner.organizationId}`;
    const invite = await call(server.url, 'POST', `${o}/members`, { cookie: owner.cookie, body: { email: creator.email, role: 'admin' } });
    expect(invite.status).toBeLessThan(300);
    const pending = await call(server.url, 'GET', '/api/user/invitations', { cookie: creator.cookie });
    const invitation = pending.body.data.find((i: { organization: { id: string } }) => i.organization.id === owner.organizationId);
    expect((await call(server.url, 'POST', `/api/user/invitations/${invitation.id}/accept`, { cookie: creator.cookie })).status).toBe(200);
    const team = await call(server.url, 'POST', `${o}/teams`, { cookie: creator.cookie, body: { name: 'Ops' } });
    const created = await call(server.url, 'POST', `${o}/teams/${team.body.data.id}/keys`, { cookie: creator.cookie, body: { name: 'ops', scopes: ['intake:write'] } });
    expect(created.status).toBe(201);
    expect((await call(server.url, 'DELETE', `${o}/members/${creator.id}`, { cookie: owner.cookie })).status).toBe(200);
    const delivered = await call(server.url, 'POST', `/api/intake/${team.body.data.id}`, { bearer: created.body.data.key, body: { still: 'works' } });
    expect(delivered.status).toBe(202);
  });

  it('only team admins and organization admins manage them', async () => {
    const owner = await newUser(server.url, 'owner3');
    const member = await newUser(server.url, 'member3');
    await markVerified(member.id);
    const o = `/api/user/organizations/${owner.organizationId}`;
    await call(server.url, 'POST', `${o}/members`, { cookie: owner.cookie, body: { email: member.email, role: 'member' } });
    const pending = await call(server.url, 'GET', '/api/user/invitations', { cookie: member.cookie });
    await call(server.url, 'POST', `/api/user/invitations/${pending.body.data[0].id}/accept`, { cookie: member.cookie });
    const team = await call(server.url, 'POST', `${o}/teams`, { cookie: owner.cookie, body: { name: 'Data' } });
    const denied = await call(server.url, 'POST', `${o}/teams/${team.body.data.id}/keys`, { cookie: member.cookie, body: { name: 'x', scopes: ['intake:write'] } });
    expect(denied.status).toBe(403);
  });
});

describe('intake webhooks', () => {
  it("accept a team member's PAT, and refuse a non-member's", async () => {
    const { key } = await newKey(server.url, admin.cookie, ['intake:write']);
    // The team's creator is not automatically a member: add the admin to the team first.
    await call(server.url, 'POST', `${org()}/teams/${teamId}/members`, { cookie: admin.cookie, body: { userId: admin.id, role: 'admin' } });
    const ok = await call(server.url, 'POST', `/api/intake/${teamId}`, { apiKey: key, body: [1, 2, 3] });
    expect(ok.status).toBe(202);
    const stranger = await newUser(server.url, 'stranger');
    const strangerKey = await newKey(server.url, stranger.cookie, ['intake:write']);
    const refused = await call(server.url, 'POST', `/api/intake/${teamId}`, { apiKey: strangerKey.key, body: {} });
    expect(refused.status).toBe(404);
  });

  it('limit payload size and require JSON', async () => {
    const { key } = await teamKey();
    const big = await call(server.url, 'POST', `/api/intake/${teamId}`, { bearer: key, raw: JSON.stringify({ blob: 'x'.repeat(300 * 1024) }), headers: { 'content-type': 'application/json' } });
    expect(big.status).toBe(413);
    expect(big.body.code).toBe('PAYLOAD_TOO_LARGE');
    const text = await call(server.url, 'POST', `/api/intake/${teamId}`, { bearer: key, raw: 'hello', headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBe(400);
    const broken = await call(server.url, 'POST', `/api/intake/${teamId}`, { bearer: key, raw: '{"a":', headers: { 'content-type': 'application/json' } });
    expect(broken.status).toBe(400);
    // Larger than the 64 KiB default of other routes, within the intake limit.
    const medium = await call(server.url, 'POST', `/api/intake/${teamId}`, { bearer: key, body: { blob: 'y'.repeat(100 * 1024) } });
    expect(medium.status).toBe(202);
  });
});
