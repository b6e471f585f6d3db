import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newKey, newUser, startServer, startSmtp, type RunningServer, type SmtpCatcher, type TestUser } from './harness.js';
import { api, expectEnvelope, expectNoServerErrors, expectValidationError } from './support.js';
import { dumpDb, joinOrg, orgPath } from './tenancy-support.js';

let server: RunningServer;
let smtp: SmtpCatcher;
beforeAll(async () => {
  smtp = await startSmtp();
  server = await startServer({ SMTP_URL: smtp.url, ACCT_RATE_LIMITS: 'off' });
});
afterAll(async () => {
  expectNoServerErrors(server);
  await server.stop();
  await smtp.close();
});

/** An organization with an owner, an admin and a member. */
async function org() {
  const [owner, admin, member] = await Promise.all(['owner', 'admin', 'member'].map((l) => newUser(server.url, l)));
  await joinOrg(server, smtp, owner!, owner!.organizationId, admin!, 'admin');
  await joinOrg(server, smtp, owner!, owner!.organizationId, member!, 'member');
  return { owner: owner!, admin: admin!, member: member!, id: owner!.organizationId };
}

const setRole = (by: TestUser, organizationId: string, userId: string, role: unknown) =>
  api(server.url, 'PATCH', orgPath(organizationId, `/members/${userId}`), { cookie: by.cookie, body: { role } });
const remove = (by: TestUser, organizationId: string, userId: string) => api(server.url, 'DELETE', orgPath(organizationId, `/members/${userId}`), { cookie: by.cookie });

describe('members', () => {
  it('lists members with their roles, page by page', async () => {
    const o = await org();
    const first = await api(server.url, 'GET', orgPath(o.id, '/members?limit=2'), { cookie: o.member.cookie });
    expectEnvelope(first, 200, 'OK');
    expect(first.body.meta.pagination.hasMore).toBe(true);
    const rest = await api(server.url, 'GET', orgPath(o.id, `/members?limit=2&cursor=${first.body.meta.pagination.nextCursor}`), { cookie: o.member.cookie });
    const all = [...first.body.data, ...rest.body.data];
    expect(all.map((m: any) => [m.userId, m.role]).sort()).toEqual([[o.owner.id, 'owner'], [o.admin.id, 'admin'], [o.member.id, 'member']].sort());
    expect(all[0]).toEqual({ userId: expect.any(String), email: expect.any(String), fullName: expect.any(String), handle: expect.any(String), role: expect.any(String), joinedAt: expect.any(String) });
  });

  it('only owners grant owner; an admin cannot promote past itself or touch an owner', async () => {
    const o = await org();
    const promote = await setRole(o.admin, o.id, o.member.id, 'owner');
    expectEnvelope(promote, 403, 'FORBIDDEN');
    expect(promote.body.message).toMatch(/Only owners/);
    expectEnvelope(await setRole(o.admin, o.id, o.admin.id, 'owner'), 403, 'FORBIDDEN');
    expectEnvelope(await setRole(o.admin, o.id, o.owner.id, 'member'), 403, 'FORBIDDEN');
    expectEnvelope(await remove(o.admin, o.id, o.owner.id), 403, 'FORBIDDEN');
    const toAdmin = await setRole(o.admin, o.id, o.member.id, 'admin');
    expectEnvelope(toAdmin, 200, 'OK');
    expect(toAdmin.body.data).toMatchObject({ userId: o.member.id, role: 'admin' });
    expectEnvelope(await setRole(o.member, o.id, o.admin.id, 'member'), 200, 'OK'); // now an admin itself
    expectEnvelope(await setRole(o.owner, o.id, o.admin.id, 'owner'), 200, 'OK');
    const list = await api(server.url, 'GET', orgPath(o.id, '/members'), { cookie: o.owner.cookie });
    expect(Object.fromEntries(list.body.data.map((m: any) => [m.userId, m.role]))).toEqual({ [o.owner.id]: 'owner', [o.admin.id]: 'owner', [o.member.id]: 'admin' });
  });

  it('never leaves an organization without an owner', async () => {
    const o = await org();
    const demote = await setRole(o.owner, o.id, o.owner.id, 'admin');
    expectEnvelope(demote, 409, 'CONFLICT');
    expect(demote.body.message).toMatch(/must keep an owner/);
    expectEnvelope(await remove(o.owner, o.id, o.owner.id), 409, 'CONFLICT');
    expectEnvelope(await api(server.url, 'POST', orgPath(o.id, '/leave'), { cookie: o.owner.cookie }), 409, 'CONFLICT');

    // Two owners stepping down at the same moment: exactly one may; the same for leaving.
    await setRole(o.owner, o.id, o.admin.id, 'owner');
    const [a, b] = await Promise.all([setRole(o.owner, o.id, o.owner.id, 'member'), setRole(o.admin, o.id, o.admin.id, 'member')]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const owners = async () => (await api(server.url, 'GET', orgPath(o.id, '/members'), { cookie: o.member.cookie })).body.data.filter((m: any) => m.role === 'owner');
    expect(await owners()).toHaveLength(1);
    const winner = a.status === 200 ? o.admin : o.owner; // the one still an owner
    const loser = a.status === 200 ? o.owner : o.admin;
    await setRole(winner, o.id, loser.id, 'owner');
    const left = await Promise.all([winner, loser].map((u) => api(server.url, 'POST', orgPath(o.id, '/leave'), { cookie: u.cookie })));
    expect(left.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(await owners()).toHaveLength(1);
  });

  it('removes a member: their keys stop working for the organization at once and they leave its teams', async () => {
    const o = await org();
    const key = await newKey(server.url, o.member.cookie, ['projects:read', 'teams:read']);
    expectEnvelope(await api(server.url, 'GET', orgPath(o.id, '/projects'), { apiKey: key.key }), 200, 'OK');
    const team = await api(server.url, 'POST', orgPath(o.id, '/teams'), { cookie: o.owner.cookie, body: { name: 'Core' } });
    await api(server.url, 'POST', orgPath(o.id, `/teams/${team.body.data.id}/members`), { cookie: o.owner.cookie, body: { userId: o.member.id } });
    const removed = await remove(o.admin, o.id, o.member.id);
    expectEnvelope(removed, 200, 'OK');
    expect(removed.body.data).toEqual({ userId: o.member.id, removed: true });
    expectEnvelope(await api(server.url, 'GET', orgPath(o.id, '/projects'), { apiKey: key.key }), 403, 'ORGANIZATION_MISMATCH');
    expectEnvelope(await api(server.url, 'GET', orgPath(o.id, '/projects'), { cookie: o.member.cookie }), 403, 'ORGANIZATION_MISMATCH');
    expectEnvelope(await api(server.url, 'GET', orgPath(o.member.organizationId, '/projects'), { apiKey: key.key }), 200, 'OK');
    const teamMembers = await api(server.url, 'GET', orgPath(o.id, `/teams/${team.body.data.id}/members`), { cookie: o.owner.cookie });
    expect(teamMembers.body.data).toEqual([]);
    expectEnvelope(await remove(o.admin, o.id, o.member.id), 404, 'NOT_FOUND');
  });

  it('lets a member leave with a signed-in session, not with a key', async () => {
    const o = await org();
    const key = await newKey(server.url, o.member.cookie, ['organizations:read', 'organizations:write']);
    expectEnvelope(await api(server.url, 'POST', orgPath(o.id, '/leave'), { apiKey: key.key }), 403, 'FORBIDDEN');
    const left = await api(server.url, 'POST', orgPath(o.id, '/leave'), { cookie: o.member.cookie });
    expectEnvelope(left, 200, 'OK');
    expect(left.body.data).toEqual({ organizationId: o.id, userId: o.member.id, left: true });
    const orgs = await api(server.url, 'GET', '/api/user/organizations', { cookie: o.member.cookie });
    expect(orgs.body.data.map((x: any) => x.id)).not.toContain(o.id);
    expectEnvelope(await api(server.url, 'POST', orgPath(o.id, '/leave'), { cookie: o.member.cookie }), 403, 'ORGANIZATION_MISMATCH');
  });

  it('keeps the seats at or above the members', async () => {
    const o = await org();
    const res = await api(server.url, 'PATCH', orgPath(o.id, '/subscription'), { cookie: o.owner.cookie, body: { seats: 2 } });
    expectEnvelope(res, 409, 'CONFLICT');
    expect(res.body.errors).toEqual([{ field: 'seats', message: 'at least 3' }]);
    expectEnvelope(await api(server.url, 'PATCH', orgPath(o.id, '/subscription'), { cookie: o.admin.cookie, body: { seats: 4 } }), 403, 'FORBIDDEN');
    expectEnvelope(await api(server.url, 'PATCH', orgPath(o.id, '/subscription'), { cookie: o.owner.cookie, body: { seats: 3 } }), 200, 'OK');
  });

  it('validates role changes, refuses members and missing credentials, and changes nothing when it refuses', async () => {
    const o = await org();
    const before = await dumpDb(server);
    expectValidationError(await setRole(o.owner, o.id, o.member.id, 'superuser'), 'role');
    expectValidationError(await setRole(o.owner, o.id, o.member.id, undefined), 'role');
    expectValidationError(await api(server.url, 'PATCH', orgPath(o.id, `/members/${o.member.id}`), { cookie: o.owner.cookie, body: { role: 'admin', userId: 'x' } }), 'userId');
    expectEnvelope(await api(server.url, 'PATCH', orgPath(o.id, `/members/${o.member.id}`), { cookie: o.owner.cookie, raw: '{role', headers: { 'content-type': 'application/json' } }), 400, 'BAD_REQUEST');
    expectEnvelope(await api(server.url, 'PATCH', orgPath(o.id, `/members/${o.member.id}`), { cookie: o.owner.cookie, raw: 'role=admin', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 400, 'BAD_REQUEST');
    expectEnvelope(await setRole(o.member, o.id, o.admin.id, 'member'), 403, 'FORBIDDEN');
    expectEnvelope(await remove(o.member, o.id, o.admin.id), 403, 'FORBIDDEN');
    expectEnvelope(await setRole(o.owner, o.id, 'no-such-user', 'admin'), 404, 'NOT_FOUND');
    expectEnvelope(await api(server.url, 'PATCH', orgPath(o.id, `/members/${o.member.id}`), { body: { role: 'admin' } }), 401, 'UNAUTHORIZED');
    const readKey = await newKey(server.url, o.owner.cookie, ['members:read']);
    const scoped = await api(server.url, 'DELETE', orgPath(o.id, `/members/${o.member.id}`), { apiKey: readKey.key });
    expectEnvelope(scoped, 403, 'INSUFFICIENT_SCOPE');
    expectEnvelope(await api(server.url, 'GET', orgPath(o.id, '/members'), { apiKey: readKey.key }), 200, 'OK');
    const after = await dumpDb(server);
    expect(after['memberships']).toEqual(before['memberships']);
  });
});
