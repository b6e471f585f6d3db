import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newKey, newUser, startServer, startSmtp, type RunningServer, type SmtpCatcher } from './harness.js';
import { api, expectEnvelope, expectNoServerErrors, expectValidationError } from './support.js';
import { dumpDb, joinOrg, orgPath, sqlOn } from './tenancy-support.js';

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

describe('organizations', () => {
  it('reads, renames and re-slugs an organization; slugs are unique', async () => {
    const owner = await newUser(server.url, 'org');
    const got = await api(server.url, 'GET', orgPath(owner.organizationId), { cookie: owner.cookie });
    expectEnvelope(got, 200, 'OK');
    expect(got.body.data).toMatchObject({ id: owner.organizationId, role: 'owner' });
    const renamed = await api(server.url, 'PATCH', orgPath(owner.organizationId), { cookie: owner.cookie, body: { name: '  Acme  ', slug: `acme-${Date.now()}` } });
    expectEnvelope(renamed, 200, 'OK');
    expect(renamed.body.data).toMatchObject({ name: 'Acme', role: 'owner' });
    expect(renamed.body.data.updatedAt >= got.body.data.updatedAt).toBe(true);
    const other = await newUser(server.url, 'org-other');
    const taken = await api(server.url, 'PATCH', orgPath(other.organizationId), { cookie: other.cookie, body: { slug: renamed.body.data.slug } });
    expectEnvelope(taken, 409, 'CONFLICT');
    expectValidationError(await api(server.url, 'PATCH', orgPath(owner.organizationId), { cookie: owner.cookie, body: { slug: 'Not A Slug' } }), 'slug');
    expectValidationError(await api(server.url, 'PATCH', orgPath(owner.organizationId), { cookie: owner.cookie, body: { name: '   ' } }), 'name');
    expectValidationError(await api(server.url, 'PATCH', orgPath(owner.organizationId), { cookie: owner.cookie, body: { plan: 'business' } }), 'plan');
    expectValidationError(await api(server.url, 'PATCH', orgPath(owner.organizationId), { cookie: owner.cookie, body: { name: 'x'.repeat(101) } }), 'name');
    expectEnvelope(await api(server.url, 'PATCH', orgPath(owner.organizationId), { cookie: owner.cookie, raw: '{', headers: { 'content-type': 'application/json' } }), 400, 'BAD_REQUEST');
    expectEnvelope(await api(server.url, 'GET', orgPath(owner.organizationId)), 401, 'UNAUTHORIZED');
    const key = await newKey(server.url, owner.cookie, ['organizations:read']);
    expectEnvelope(await api(server.url, 'GET', orgPath(owner.organizationId), { apiKey: key.key }), 200, 'OK');
    expectEnvelope(await api(server.url, 'PATCH', orgPath(owner.organizationId), { apiKey: key.key, body: { name: 'x' } }), 403, 'INSUFFICIENT_SCOPE');
  });

  it('lets only owners rename or delete', async () => {
    const owner = await newUser(server.url, 'org-owner');
    const admin = await newUser(server.url, 'org-admin');
    await joinOrg(server, smtp, owner, owner.organizationId, admin, 'admin');
    expectEnvelope(await api(server.url, 'GET', orgPath(owner.organizationId), { cookie: admin.cookie }), 200, 'OK');
    expectEnvelope(await api(server.url, 'PATCH', orgPath(owner.organizationId), { cookie: admin.cookie, body: { name: 'Mine now' } }), 403, 'FORBIDDEN');
    expectEnvelope(await api(server.url, 'DELETE', orgPath(owner.organizationId), { cookie: admin.cookie }), 403, 'FORBIDDEN');
  });

  it('deletes an organization with everything under it; keys pinned to it then fail the tenant check', async () => {
    const owner = await newUser(server.url, 'doomed');
    const member = await newUser(server.url, 'doomed-member');
    const id = owner.organizationId;
    await joinOrg(server, smtp, owner, id, member, 'member');
    const project = await api(server.url, 'POST', orgPath(id, '/projects'), { cookie: owner.cookie, body: { name: 'Doomed project' } });
    const team = await api(server.url, 'POST', orgPath(id, '/teams'), { cookie: owner.cookie, body: { name: 'Doomed team' } });
    await api(server.url, 'POST', orgPath(id, `/teams/${team.body.data.id}/members`), { cookie: owner.cookie, body: { userId: member.id } });
    await api(server.url, 'POST', orgPath(id, '/members'), { cookie: owner.cookie, body: { email: 'doomed-invitee@example.com', role: 'member' } });
    await api(server.url, 'POST', orgPath(id, '/payments'), { cookie: owner.cookie, body: { amount: 5 }, headers: { 'idempotency-key': 'doomed' } });
    const pinned = await newKey(server.url, owner.cookie, ['projects:read', 'organizations:write'], { metadata: { organizationId: id } });
    const bystander = await newUser(server.url, 'bystander');
    await api(server.url, 'POST', orgPath(bystander.organizationId, '/projects'), { cookie: bystander.cookie, body: { name: 'Safe' } });

    expectEnvelope(await api(server.url, 'DELETE', orgPath(id), { apiKey: pinned.key }), 403, 'FORBIDDEN');
    const before = await dumpDb(server);
    const deleted = await api(server.url, 'DELETE', orgPath(id), { cookie: owner.cookie });
    expectEnvelope(deleted, 200, 'OK');
    expect(deleted.body.data).toEqual({ id, deleted: true });

    const after = await dumpDb(server);
    for (const table of ['organizations', 'memberships', 'projects', 'credit_ledger', 'teams', 'invitations']) {
      expect(after[table]!.filter((r) => String(r).includes(id)), table).toEqual([]);
      expect(after[table]!.filter((r) => String(r).includes(bystander.organizationId)), table).toEqual(before[table]!.filter((r) => String(r).includes(bystander.organizationId)));
    }
    expect(after['team_members']!.filter((r) => String(r).includes(team.body.data.id))).toEqual([]);
    expect(after['projects']!.some((r) => String(r).includes(project.body.data.id))).toBe(false);
    expectEnvelope(await api(server.url, 'GET', orgPath(id, '/projects'), { apiKey: pinned.key }), 403, 'ORGANIZATION_MISMATCH');
    expectEnvelope(await api(server.url, 'GET', orgPath(id), { cookie: member.cookie }), 403, 'ORGANIZATION_MISMATCH');
    expectEnvelope(await api(server.url, 'GET', orgPath(member.organizationId), { cookie: member.cookie }), 200, 'OK');
  });

  it('needs a fresh sign-in to delete', async () => {
    const owner = await newUser(server.url, 'stale');
    await sqlOn(server, 'UPDATE sessions SET created_at = ? WHERE user_id = ?', [new Date(Date.now() - 2 * 86_400_000).toISOString(), owner.id]);
    const res = await api(server.url, 'DELETE', orgPath(owner.organizationId), { cookie: owner.cookie });
    expectEnvelope(res, 403, 'FORBIDDEN');
    expect(res.body.message).toMatch(/Sign in again/);
    expectEnvelope(await api(server.url, 'GET', orgPath(owner.organizationId), { cookie: owner.cookie }), 200, 'OK');
  });
});
