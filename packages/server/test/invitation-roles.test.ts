/**
 * Invitations grant a role only while someone who may grant it stands behind them (issue 11,
 * item 7): re-inviting cannot revoke an invitation the caller could not revoke, and accepting
 * re-checks that the inviter may still grant the role.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newUser, startServer, startSmtp, withTestDb, type RunningServer, type SmtpCatcher, type TestUser } from './harness.js';
import { api, expectEnvelope, expectNoServerErrors } from './support.js';
import { orgPath } from './tenancy-support.js';

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

const invite = (by: TestUser, organizationId: string, address: string, role: string) =>
  api(server.url, 'POST', orgPath(organizationId, '/members'), { cookie: by.cookie, body: { email: address, role } });
const accept = (user: TestUser, id: string) => api(server.url, 'POST', `/api/user/invitations/${id}/accept`, { cookie: user.cookie, body: {} });

/** A user whose address is verified, so they accept by id (these tests are about roles, not mailboxes). */
async function verifiedUser(label: string): Promise<TestUser> {
  const user = await newUser(server.url, label);
  await withTestDb(server, (db) => db.run('UPDATE users SET email_verified_at = ? WHERE id = ?', [new Date().toISOString(), user.id]));
  return user;
}

/** `user` joins `owner`'s organization with `role`. */
async function join(owner: TestUser, user: TestUser, role: string) {
  const sent = await invite(owner, owner.organizationId, user.email, role);
  expectEnvelope(sent, 201, 'OK');
  expectEnvelope(await accept(user, sent.body.data.id), 200, 'OK');
}

const pendingIds = async (owner: TestUser) =>
  (await api(server.url, 'GET', orgPath(owner.organizationId, '/invitations?status=pending&limit=100'), { cookie: owner.cookie })).body.data.map((i: { id: string }) => i.id);

const memberIds = async (owner: TestUser) =>
  (await api(server.url, 'GET', orgPath(owner.organizationId, '/members?limit=100'), { cookie: owner.cookie })).body.data.map((m: { userId: string }) => m.userId);

describe('invitation roles', () => {
  it("an admin cannot cancel an owner's owner-role invitation by re-inviting the address as member", async () => {
    const owner = await verifiedUser('re-owner');
    const admin = await verifiedUser('re-admin');
    const invitee = await verifiedUser('re-invitee');
    await join(owner, admin, 'admin');
    const ownerInvite = await invite(owner, owner.organizationId, invitee.email, 'owner');
    expectEnvelope(ownerInvite, 201, 'OK');

    const reinvite = await invite(admin, owner.organizationId, invitee.email, 'member');
    expectEnvelope(reinvite, 403, 'FORBIDDEN');
    expect(reinvite.body.message).toMatch(/pending invitation as owner/);
    expect(await pendingIds(owner)).toContain(ownerInvite.body.data.id);

    // The owner may replace it; an admin may replace an invitation at or below its own role.
    const member = await invite(owner, owner.organizationId, invitee.email, 'member');
    expectEnvelope(member, 201, 'OK');
    expectEnvelope(await invite(admin, owner.organizationId, invitee.email, 'admin'), 201, 'OK');
  });

  it('an owner-role invitation dies when its inviter is demoted from owner', async () => {
    const owner = await verifiedUser('de-owner');
    const coOwner = await verifiedUser('de-coowner');
    const invitee = await verifiedUser('de-invitee');
    await join(owner, coOwner, 'owner');
    const sent = await invite(coOwner, owner.organizationId, invitee.email, 'owner');
    expectEnvelope(sent, 201, 'OK');
    expectEnvelope(await api(server.url, 'PATCH', orgPath(owner.organizationId, `/members/${coOwner.id}`), { cookie: owner.cookie, body: { role: 'admin' } }), 200, 'OK');

    const res = await accept(invitee, sent.body.data.id);
    expectEnvelope(res, 403, 'FORBIDDEN');
    expect(res.body.message).toMatch(/can no longer grant the role owner/);
    expect(await memberIds(owner)).not.toContain(invitee.id);
    expect(await pendingIds(owner)).not.toContain(sent.body.data.id);
    expectEnvelope(await accept(invitee, sent.body.data.id), 404, 'NOT_FOUND');
  });

  it('an invitation dies when its inviter leaves the organization', async () => {
    const owner = await verifiedUser('rm-owner');
    const admin = await verifiedUser('rm-admin');
    const invitee = await verifiedUser('rm-invitee');
    await join(owner, admin, 'admin');
    const sent = await invite(admin, owner.organizationId, invitee.email, 'member');
    expectEnvelope(sent, 201, 'OK');
    expectEnvelope(await api(server.url, 'DELETE', orgPath(owner.organizationId, `/members/${admin.id}`), { cookie: owner.cookie }), 200, 'OK');

    expectEnvelope(await accept(invitee, sent.body.data.id), 403, 'FORBIDDEN');
    expect(await memberIds(owner)).not.toContain(invitee.id);
  });

  it('an invitation survives while its inviter may still grant the role', async () => {
    const owner = await verifiedUser('ok-owner');
    const coOwner = await verifiedUser('ok-coowner');
    const invitee = await verifiedUser('ok-invitee');
    await join(owner, coOwner, 'owner');
    const sent = await invite(coOwner, owner.organizationId, invitee.email, 'admin');
    // Demoted to admin: still allowed to grant admin.
    expectEnvelope(await api(server.url, 'PATCH', orgPath(owner.organizationId, `/members/${coOwner.id}`), { cookie: owner.cookie, body: { role: 'admin' } }), 200, 'OK');
    const res = await accept(invitee, sent.body.data.id);
    expectEnvelope(res, 200, 'OK');
    expect(res.body.data.role).toBe('admin');
  });
});
