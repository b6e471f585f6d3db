import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newKey, newUser, startServer, startSmtp, type RunningServer, type SmtpCatcher, type TestUser } from './harness.js';
import { api, expectEnvelope, expectNoServerErrors, expectValidationError } from './support.js';
import { joinOrg, orgPath } from './tenancy-support.js';

let server: RunningServer;
let smtp: SmtpCatcher;
let owner: TestUser;
let member: TestUser;
let outsider: TestUser;
beforeAll(async () => {
  smtp = await startSmtp();
  server = await startServer({ SMTP_URL: smtp.url, ACCT_RATE_LIMITS: 'off' });
  [owner, member, outsider] = await Promise.all(['team-owner', 'team-member', 'team-outsider'].map((l) => newUser(server.url, l))) as [TestUser, TestUser, TestUser];
  await joinOrg(server, smtp, owner, owner.organizationId, member, 'member');
});
afterAll(async () => {
  expectNoServerErrors(server);
  await server.stop();
  await smtp.close();
});

const teams = (rest = '') => orgPath(owner.organizationId, `/teams${rest}`);

describe('teams', () => {
  it('creates, reads, lists, renames and deletes teams', async () => {
    const created = await api(server.url, 'POST', teams(), { cookie: owner.cookie, body: { name: ' Platform ', slug: 'platform' } });
    expectEnvelope(created, 201, 'OK');
    expect(created.body.data).toEqual({ id: expect.any(String), organizationId: owner.organizationId, name: 'Platform', slug: 'platform', createdAt: expect.any(String), updatedAt: expect.any(String) });
    const id = created.body.data.id;
    const second = await api(server.url, 'POST', teams(), { cookie: owner.cookie, body: { name: 'No slug' } });
    expect(second.body.data.slug).toBeNull();
    expectEnvelope(await api(server.url, 'POST', teams(), { cookie: owner.cookie, body: { name: 'Also no slug' } }), 201, 'OK');
    expectEnvelope(await api(server.url, 'POST', teams(), { cookie: owner.cookie, body: { name: 'Clash', slug: 'platform' } }), 409, 'CONFLICT');
    // Slugs are unique per organization only.
    expectEnvelope(await api(server.url, 'POST', orgPath(outsider.organizationId, '/teams'), { cookie: outsider.cookie, body: { name: 'Theirs', slug: 'platform' } }), 201, 'OK');

    expect((await api(server.url, 'GET', teams(`/${id}`), { cookie: member.cookie })).body.data.name).toBe('Platform');
    const page1 = await api(server.url, 'GET', teams('?limit=2'), { cookie: member.cookie });
    const page2 = await api(server.url, 'GET', teams(`?limit=2&cursor=${page1.body.meta.pagination.nextCursor}`), { cookie: member.cookie });
    expect([...page1.body.data, ...page2.body.data].map((t: any) => t.name)).toEqual(['Platform', 'No slug', 'Also no slug']);

    const renamed = await api(server.url, 'PATCH', teams(`/${id}`), { cookie: owner.cookie, body: { name: 'Platform team', slug: null } });
    expectEnvelope(renamed, 200, 'OK');
    expect(renamed.body.data).toMatchObject({ name: 'Platform team', slug: null });
    expectEnvelope(await api(server.url, 'PATCH', teams(`/${second.body.data.id}`), { cookie: owner.cookie, body: { slug: 'platform-2' } }), 200, 'OK');
    expectEnvelope(await api(server.url, 'PATCH', teams(`/${id}`), { cookie: owner.cookie, body: { slug: 'platform-2' } }), 409, 'CONFLICT');

    const deleted = await api(server.url, 'DELETE', teams(`/${id}`), { cookie: owner.cookie });
    expectEnvelope(deleted, 200, 'OK');
    expect(deleted.body.data).toEqual({ id, deleted: true });
    expectEnvelope(await api(server.url, 'GET', teams(`/${id}`), { cookie: owner.cookie }), 404, 'NOT_FOUND');
  });

  it('adds only members of the organization to a team, once', async () => {
    const team = (await api(server.url, 'POST', teams(), { cookie: owner.cookie, body: { name: 'Members' } })).body.data;
    const add = (userId: string, role?: string) => api(server.url, 'POST', teams(`/${team.id}/members`), { cookie: owner.cookie, body: role ? { userId, role } : { userId } });
    const added = await add(member.id, 'admin');
    expectEnvelope(added, 201, 'OK');
    expect(added.body.data).toEqual({ userId: member.id, email: member.email, fullName: 'Test team-member', role: 'admin', addedAt: expect.any(String) });
    expectEnvelope(await add(owner.id), 201, 'OK');
    expectEnvelope(await add(member.id), 409, 'CONFLICT');
    expectEnvelope(await add(outsider.id), 404, 'NOT_FOUND');
    expectValidationError(await add(member.id, 'owner'), 'role');
    expectValidationError(await api(server.url, 'POST', teams(`/${team.id}/members`), { cookie: owner.cookie, body: {} }), 'userId');
    const list = await api(server.url, 'GET', teams(`/${team.id}/members`), { cookie: member.cookie });
    expect(list.body.data.map((m: any) => [m.userId, m.role]).sort()).toEqual([[member.id, 'admin'], [owner.id, 'member']].sort());
    const removed = await api(server.url, 'DELETE', teams(`/${team.id}/members/${member.id}`), { cookie: owner.cookie });
    expectEnvelope(removed, 200, 'OK');
    expect(removed.body.data).toEqual({ teamId: team.id, userId: member.id, removed: true });
    expectEnvelope(await api(server.url, 'DELETE', teams(`/${team.id}/members/${member.id}`), { cookie: owner.cookie }), 404, 'NOT_FOUND');
    // Deleting the team takes its memberships with it.
    await api(server.url, 'DELETE', teams(`/${team.id}`), { cookie: owner.cookie });
    expectEnvelope(await api(server.url, 'GET', teams(`/${team.id}/members`), { cookie: owner.cookie }), 404, 'NOT_FOUND');
  });

  it('lets members read teams but not change them; keys need the teams scopes', async () => {
    const team = (await api(server.url, 'POST', teams(), { cookie: owner.cookie, body: { name: 'Readable' } })).body.data;
    expectEnvelope(await api(server.url, 'GET', teams(`/${team.id}`), { cookie: member.cookie }), 200, 'OK');
    expectEnvelope(await api(server.url, 'POST', teams(), { cookie: member.cookie, body: { name: 'Nope' } }), 403, 'FORBIDDEN');
    expectEnvelope(await api(server.url, 'PATCH', teams(`/${team.id}`), { cookie: member.cookie, body: { name: 'Nope' } }), 403, 'FORBIDDEN');
    expectEnvelope(await api(server.url, 'DELETE', teams(`/${team.id}`), { cookie: member.cookie }), 403, 'FORBIDDEN');
    expectEnvelope(await api(server.url, 'POST', teams(`/${team.id}/members`), { cookie: member.cookie, body: { userId: member.id } }), 403, 'FORBIDDEN');
    const readKey = await newKey(server.url, owner.cookie, ['teams:read']);
    expectEnvelope(await api(server.url, 'GET', teams(), { apiKey: readKey.key }), 200, 'OK');
    const scoped = await api(server.url, 'POST', teams(), { apiKey: readKey.key, body: { name: 'Nope' } });
    expectEnvelope(scoped, 403, 'INSUFFICIENT_SCOPE');
    expect(scoped.headers.get('x-accepted-scopes')).toBe('teams:write');
    expectEnvelope(await api(server.url, 'GET', teams()), 401, 'UNAUTHORIZED');
  });

  it('validates team input', async () => {
    expectValidationError(await api(server.url, 'POST', teams(), { cookie: owner.cookie, body: {} }), 'name');
    expectValidationError(await api(server.url, 'POST', teams(), { cookie: owner.cookie, body: { name: '  ' } }), 'name');
    expectValidationError(await api(server.url, 'POST', teams(), { cookie: owner.cookie, body: { name: 'x'.repeat(101) } }), 'name');
    expectValidationError(await api(server.url, 'POST', teams(), { cookie: owner.cookie, body: { name: 'ok', slug: '-bad-' } }), 'slug');
    expectValidationError(await api(server.url, 'POST', teams(), { cookie: owner.cookie, body: { name: 'ok', organizationId: outsider.organizationId } }), 'organizationId');
    expectValidationError(await api(server.url, 'GET', teams('?limit=101'), { cookie: owner.cookie }), 'limit');
    expectValidationError(await api(server.url, 'GET', teams('?limit=1&limit=2'), { cookie: owner.cookie }), 'limit');
    expectEnvelope(await api(server.url, 'POST', teams(), { cookie: owner.cookie, raw: '[', headers: { 'content-type': 'application/json' } }), 400, 'BAD_REQUEST');
    expectEnvelope(await api(server.url, 'POST', teams(), { cookie: owner.cookie, raw: JSON.stringify({ name: 'x'.repeat(70_000) }), headers: { 'content-type': 'application/json' } }), 413, 'PAYLOAD_TOO_LARGE');
  });
});
