/**
 * Who manages team keys (issue 11, item 14): organization owners and admins (their role holds
 * teams:write) and the admins of that team, whatever their organization role. A token still
 * needs teams:write itself; a team admin manages only its own team's keys, and nothing else
 * that needs teams:write.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newKey, newUser, startServer, withTestDb, type RunningServer, type TestUser } from './harness.js';
import { api, expectEnvelope, expectNoServerErrors } from './support.js';
import { orgPath } from './tenancy-support.js';

let server: RunningServer;
let owner: TestUser;
let teamAdmin: TestUser; // organization member, admin of team `ops`
let teamMember: TestUser; // organization member, plain member of team `ops`
let ops: string;
let other: string;

async function joinAsMember(user: TestUser) {
  await withTestDb(server, (db) => db.run('UPDATE users SET email_verified_at = ? WHERE id = ?', [new Date().toISOString(), user.id]));
  const sent = await api(server.url, 'POST', orgPath(owner.organizationId, '/members'), { cookie: owner.cookie, body: { email: user.email, role: 'member' } });
  expectEnvelope(sent, 201, 'OK');
  expectEnvelope(await api(server.url, 'POST', `/api/user/invitations/${sent.body.data.id}/accept`, { cookie: user.cookie, body: {} }), 200, 'OK');
}

beforeAll(async () => {
  server = await startServer({ ACCT_RATE_LIMITS: 'off' });
  [owner, teamAdmin, teamMember] = await Promise.all(['ta-owner', 'ta-admin', 'ta-member'].map((l) => newUser(server.url, l)));
  await joinAsMember(teamAdmin);
  await joinAsMember(teamMember);
  ops = (await api(server.url, 'POST', orgPath(owner.organizationId, '/teams'), { cookie: owner.cookie, body: { name: 'Ops' } })).body.data.id;
  other = (await api(server.url, 'POST', orgPath(owner.organizationId, '/teams'), { cookie: owner.cookie, body: { name: 'Other' } })).body.data.id;
  for (const [userId, role] of [[teamAdmin.id, 'admin'], [teamMember.id, 'member']] as const)
    expectEnvelope(await api(server.url, 'POST', orgPath(owner.organizationId, `/teams/${ops}/members`), { cookie: owner.cookie, body: { userId, role } }), 201, 'OK');
});
afterAll(async () => {
  expectNoServerErrors(server);
  await server.stop();
});

const keysOf = (teamId: string) => orgPath(owner.organizationId, `/teams/${teamId}/keys`);
const create = (teamId: string, cred: { cookie?: string; apiKey?: string }) =>
  api(server.url, 'POST', keysOf(teamId), { ...cred, body: { name: 'deploy', scopes: ['intake:write'] } });

describe('team keys are managed by team admins', () => {
  it('a team admin who is an organization member creates, rotates and revokes its team keys', async () => {
    const created = await create(ops, { cookie: teamAdmin.cookie });
    expectEnvelope(created, 201, 'OK');
    const rotated = await api(server.url, 'POST', `${keysOf(ops)}/${created.body.data.id}/rotate`, { cookie: teamAdmin.cookie, body: {} });
    expectEnvelope(rotated, 200, 'OK');
    const revoked = await api(server.url, 'POST', `${keysOf(ops)}/${created.body.data.id}/revoke`, { cookie: teamAdmin.cookie });
    expectEnvelope(revoked, 200, 'OK');
    expect(revoked.body.data.status).toBe('revoked');
  });

  it("a team admin's token still needs teams:write: with it the key is revoked, without it 403 INSUFFICIENT_SCOPE", async () => {
    const created = await create(ops, { cookie: owner.cookie });
    const narrow = await newKey(server.url, teamAdmin.cookie, ['teams:read']);
    const denied = await api(server.url, 'POST', `${keysOf(ops)}/${created.body.data.id}/revoke`, { apiKey: narrow.key });
    expectEnvelope(denied, 403, 'INSUFFICIENT_SCOPE');
    const wide = await newKey(server.url, teamAdmin.cookie, ['teams:read', 'teams:write'], { metadata: { organizationId: owner.organizationId } });
    expectEnvelope(await api(server.url, 'POST', `${keysOf(ops)}/${created.body.data.id}/revoke`, { apiKey: wide.key }), 200, 'OK');
  });

  it("a team admin cannot manage another team's keys, nor anything else that needs teams:write", async () => {
    expectEnvelope(await create(other, { cookie: teamAdmin.cookie }), 403, 'FORBIDDEN');
    const rename = await api(server.url, 'PATCH', orgPath(owner.organizationId, `/teams/${ops}`), { cookie: teamAdmin.cookie, body: { name: 'Mine now' } });
    expectEnvelope(rename, 403, 'FORBIDDEN');
  });

  it('a plain team member gets 403 FORBIDDEN', async () => {
    const res = await create(ops, { cookie: teamMember.cookie });
    expectEnvelope(res, 403, 'FORBIDDEN');
    expect(res.body.message).toMatch(/not an admin of this team/);
  });
});
