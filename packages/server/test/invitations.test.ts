import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, email, newKey, newUser, PASSWORD, signIn, startServer, startSmtp, tamper, type RunningServer, type SmtpCatcher, type TestUser } from './harness.js';
import { api, expectEnvelope, expectNoServerErrors, expectValidationError, linkOf, nextMail, pathOf, tokenOf, VERIFY_SUBJECT } from './support.js';
import { dumpDb, INVITE_SUBJECT, joinOrg, orgPath, sqlOn } from './tenancy-support.js';

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

const invite = (by: TestUser, address: string, role = 'member', organizationId = by.organizationId) =>
  api(server.url, 'POST', orgPath(organizationId, '/members'), { cookie: by.cookie, body: { email: address, role } });
const accept = (cookie: string, id: string, token?: string) =>
  api(server.url, 'POST', `/api/user/invitations/${id}/accept`, { cookie, body: token === undefined ? {} : { token } });

async function signUp(address: string): Promise<string> {
  expectEnvelope(await call(server.url, 'POST', '/api/auth/sign-up/email', { body: { email: address, password: PASSWORD, name: 'Invitee' } }), 201, 'OK');
  return signIn(server.url, address, PASSWORD);
}

async function verify(address: string): Promise<void> {
  const mail = await nextMail(smtp, address, VERIFY_SUBJECT);
  expectEnvelope(await api(server.url, 'POST', '/api/auth/verify-email', { body: { token: tokenOf(mail) } }), 200, 'OK');
}

describe('invitation by mail', () => {
  it('mails a single-use link; a new user signs up and accepts with its token, which also verifies the address', async () => {
    const owner = await newUser(server.url, 'inviter');
    const address = email('newcomer');
    const sent = await invite(owner, address, 'admin');
    expectEnvelope(sent, 201, 'OK');
    expect(sent.body.data).toMatchObject({ email: address, role: 'admin', status: 'pending', invitedBy: owner.id, acceptedAt: null, organization: { id: owner.organizationId } });
    const days = (Date.parse(sent.body.data.expiresAt) - Date.parse(sent.body.data.createdAt)) / 86_400_000;
    expect(days).toBe(7);

    const mail = await nextMail(smtp, address, INVITE_SUBJECT);
    expect(mail.subject).toMatch(/Test inviter invited you to/);
    const link = linkOf(mail);
    expect(link.origin).toBe(server.url);
    expect(link.pathname).toBe(`/api/invitations/${sent.body.data.id}`);
    const token = tokenOf(mail);
    expect(JSON.stringify(sent.body)).not.toContain(token);

    const page = await api(server.url, 'GET', pathOf(link));
    expectEnvelope(page, 200, 'OK');
    expect(page.body.data).toEqual({
      id: sent.body.data.id, organization: { id: owner.organizationId, name: expect.any(String) }, email: address, role: 'admin',
      expiresAt: sent.body.data.expiresAt, accept: { method: 'POST', path: `/api/user/invitations/${sent.body.data.id}/accept`, body: ['token'] },
    });

    const cookie = await signUp(address);
    expectEnvelope(await api(server.url, 'GET', '/api/user/invitations', { cookie }), 403, 'EMAIL_NOT_VERIFIED');
    expectEnvelope(await accept(cookie, sent.body.data.id), 403, 'EMAIL_NOT_VERIFIED');
    const joined = await accept(cookie, sent.body.data.id, token);
    expectEnvelope(joined, 200, 'OK');
    expect(joined.body.data).toMatchObject({ id: owner.organizationId, role: 'admin' });
    expect((await api(server.url, 'GET', '/api/user/me', { cookie })).body.data.isVerified).toBe(true);
    const members = await api(server.url, 'GET', orgPath(owner.organizationId, '/members'), { cookie });
    expect(members.body.data.map((m: any) => [m.email, m.role])).toContainEqual([address, 'admin']);

    // Single use: the link and the token are spent.
    expectEnvelope(await accept(cookie, sent.body.data.id, token), 409, 'CONFLICT');
    expectEnvelope(await api(server.url, 'GET', pathOf(link)), 401, 'INVALID_TOKEN');
    const listed = await api(server.url, 'GET', orgPath(owner.organizationId, '/invitations?status=accepted'), { cookie: owner.cookie });
    expect(listed.body.data.map((i: any) => i.id)).toEqual([sent.body.data.id]);
  });

  it('lets a verified user see pending invitations to their address and accept one by id', async () => {
    const owner = await newUser(server.url, 'inviter2');
    const address = email('verified');
    await signUp(address);
    await verify(address); // ends the sessions made before it (pre-hijacking): sign in again
    const cookie = await signIn(server.url, address, PASSWORD);
    const sent = await invite(owner, address);
    const mine = await api(server.url, 'GET', '/api/user/invitations', { cookie });
    expectEnvelope(mine, 200, 'OK');
    expect(mine.body.data).toEqual([expect.objectContaining({ id: sent.body.data.id, status: 'pending', role: 'member' })]);
    const joined = await accept(cookie, sent.body.data.id);
    expectEnvelope(joined, 200, 'OK');
    expect(joined.body.data.role).toBe('member');
    expect((await api(server.url, 'GET', '/api/user/invitations', { cookie })).body.data).toEqual([]);
    const orgs = await api(server.url, 'GET', '/api/user/organizations', { cookie });
    expect(orgs.body.data.map((o: any) => o.id)).toContain(owner.organizationId);
  });

  it('is accepted only by the invited address: another user gets 404 even with the token, a wrong token 401', async () => {
    const owner = await newUser(server.url, 'inviter3');
    const address = email('target');
    const sent = await invite(owner, address);
    const token = tokenOf(await nextMail(smtp, address, INVITE_SUBJECT));
    const thief = await newUser(server.url, 'thief');
    const before = await dumpDb(server);
    expectEnvelope(await accept(thief.cookie, sent.body.data.id, token), 404, 'NOT_FOUND');
    expectEnvelope(await accept(thief.cookie, sent.body.data.id), 404, 'NOT_FOUND');
    const cookie = await signUp(address);
    expectEnvelope(await accept(cookie, sent.body.data.id, tamper(token)), 401, 'INVALID_TOKEN');
    expectValidationError(await accept(cookie, sent.body.data.id, ''), 'token');
    expectEnvelope(await api(server.url, 'GET', `/api/invitations/${sent.body.data.id}?token=bm_nope`), 401, 'INVALID_TOKEN');
    expectValidationError(await api(server.url, 'GET', `/api/invitations/${sent.body.data.id}`), 'token');
    const after = await dumpDb(server);
    expect(after['invitations']).toEqual(before['invitations']);
    const ofOrg = (rows: unknown[] | undefined) => (rows ?? []).filter((r) => String(r).includes(owner.organizationId));
    expect(ofOrg(after['memberships'])).toEqual(ofOrg(before['memberships']));
    expect(ofOrg(after['memberships'])).toHaveLength(1);
  });

  it('voids the older link when an address is invited again, and revoked invitations cannot be accepted', async () => {
    const owner = await newUser(server.url, 'inviter4');
    const address = email('twice');
    const first = await invite(owner, address);
    const firstToken = tokenOf(await nextMail(smtp, address, INVITE_SUBJECT, 0));
    const second = await invite(owner, address, 'admin');
    const secondToken = tokenOf(await nextMail(smtp, address, INVITE_SUBJECT, 1));
    expectEnvelope(await api(server.url, 'GET', `/api/invitations/${first.body.data.id}?token=${firstToken}`), 401, 'INVALID_TOKEN');
    const cookie = await signUp(address);
    expectEnvelope(await accept(cookie, first.body.data.id, firstToken), 404, 'NOT_FOUND');

    const revoke = await api(server.url, 'DELETE', orgPath(owner.organizationId, `/invitations/${second.body.data.id}`), { cookie: owner.cookie });
    expectEnvelope(revoke, 200, 'OK');
    expect(revoke.body.data).toEqual({ id: second.body.data.id, revoked: true });
    expectEnvelope(await accept(cookie, second.body.data.id, secondToken), 404, 'NOT_FOUND');
    expectEnvelope(await api(server.url, 'DELETE', orgPath(owner.organizationId, `/invitations/${second.body.data.id}`), { cookie: owner.cookie }), 409, 'CONFLICT');
    expectEnvelope(await api(server.url, 'DELETE', orgPath(owner.organizationId, '/invitations/nope'), { cookie: owner.cookie }), 404, 'NOT_FOUND');
    const revoked = await api(server.url, 'GET', orgPath(owner.organizationId, '/invitations?status=revoked'), { cookie: owner.cookie });
    expect(revoked.body.data.map((i: any) => i.id).sort()).toEqual([first.body.data.id, second.body.data.id].sort());
  });

  it('expires after seven days', async () => {
    const owner = await newUser(server.url, 'inviter5');
    const address = email('late');
    const sent = await invite(owner, address);
    const token = tokenOf(await nextMail(smtp, address, INVITE_SUBJECT));
    await sqlOn(server, 'UPDATE invitations SET expires_at = ? WHERE id = ?', [new Date(Date.now() - 1000).toISOString(), sent.body.data.id]);
    const cookie = await signUp(address);
    const late = await accept(cookie, sent.body.data.id, token);
    expectEnvelope(late, 404, 'NOT_FOUND');
    expect(late.body.message).toMatch(/not accepted in time/);
    const expired = await api(server.url, 'GET', orgPath(owner.organizationId, '/invitations?status=expired'), { cookie: owner.cookie });
    expect(expired.body.data.map((i: any) => [i.id, i.status])).toEqual([[sent.body.data.id, 'expired']]);
    expect((await api(server.url, 'GET', orgPath(owner.organizationId, '/invitations?status=pending'), { cookie: owner.cookie })).body.data).toEqual([]);
  });
});

describe('invitation rules', () => {
  it('counts members and pending invitations against the seats', async () => {
    const owner = await newUser(server.url, 'seats');
    const sent = [];
    for (let i = 0; i < 4; i++) sent.push(await invite(owner, email(`seat${i}`)));
    for (const s of sent) expectEnvelope(s, 201, 'OK');
    const full = await invite(owner, email('seat-extra'));
    expectEnvelope(full, 409, 'CONFLICT');
    expect(full.body.message).toMatch(/5 seats/);
    await api(server.url, 'DELETE', orgPath(owner.organizationId, `/invitations/${sent[0]!.body.data.id}`), { cookie: owner.cookie });
    expectEnvelope(await invite(owner, email('seat-freed')), 201, 'OK');

    // Seats lowered below the pending invitations: accepting needs a free seat.
    expectEnvelope(await api(server.url, 'PATCH', orgPath(owner.organizationId, '/subscription'), { cookie: owner.cookie, body: { seats: 1 } }), 200, 'OK');
    const address = sent[1]!.body.data.email as string;
    const token = tokenOf(await nextMail(smtp, address, INVITE_SUBJECT));
    const cookie = await signUp(address);
    expectEnvelope(await accept(cookie, sent[1]!.body.data.id, token), 409, 'CONFLICT');
    expectEnvelope(await api(server.url, 'PATCH', orgPath(owner.organizationId, '/subscription'), { cookie: owner.cookie, body: { seats: 2 } }), 200, 'OK');
    expectEnvelope(await accept(cookie, sent[1]!.body.data.id, token), 200, 'OK');
  });

  it('grants no role above the inviter’s: only owners invite owners; members cannot invite', async () => {
    const owner = await newUser(server.url, 'roles');
    const admin = await newUser(server.url, 'roles-admin');
    const member = await newUser(server.url, 'roles-member');
    await joinOrg(server, smtp, owner, owner.organizationId, admin, 'admin');
    await joinOrg(server, smtp, owner, owner.organizationId, member, 'member');
    const asAdmin = await invite(admin, email('x'), 'owner', owner.organizationId);
    expectEnvelope(asAdmin, 403, 'FORBIDDEN');
    expect(asAdmin.body.message).toMatch(/Only owners/);
    expectEnvelope(await invite(admin, email('y'), 'admin', owner.organizationId), 201, 'OK');
    expectEnvelope(await invite(member, email('z'), 'member', owner.organizationId), 403, 'FORBIDDEN');
    expectEnvelope(await invite(owner, member.email), 409, 'CONFLICT');
    // An admin cannot revoke an owner's invitation.
    const ownerInvite = await invite(owner, email('future-owner'), 'owner');
    expectEnvelope(await api(server.url, 'DELETE', orgPath(owner.organizationId, `/invitations/${ownerInvite.body.data.id}`), { cookie: admin.cookie }), 403, 'FORBIDDEN');
    const list = await api(server.url, 'GET', orgPath(owner.organizationId, '/invitations'), { cookie: member.cookie });
    expectEnvelope(list, 200, 'OK');
  });

  it('validates invitations and acceptances', async () => {
    const owner = await newUser(server.url, 'validate');
    const path = orgPath(owner.organizationId, '/members');
    expectValidationError(await api(server.url, 'POST', path, { cookie: owner.cookie, body: { email: 'not-an-email', role: 'member' } }), 'email');
    expectValidationError(await api(server.url, 'POST', path, { cookie: owner.cookie, body: { email: email('v'), role: 'superuser' } }), 'role');
    expectValidationError(await api(server.url, 'POST', path, { cookie: owner.cookie, body: { email: email('v') } }), 'role');
    expectValidationError(await api(server.url, 'POST', path, { cookie: owner.cookie, body: { email: email('v'), role: 'member', organizationId: 'x' } }), 'organizationId');
    expectEnvelope(await api(server.url, 'POST', path, { cookie: owner.cookie, raw: '{"email":', headers: { 'content-type': 'application/json' } }), 400, 'BAD_REQUEST');
    expectEnvelope(await api(server.url, 'POST', path, { cookie: owner.cookie, raw: JSON.stringify({ email: 'a'.repeat(70_000) }), headers: { 'content-type': 'application/json' } }), 413, 'PAYLOAD_TOO_LARGE');
    expectValidationError(await api(server.url, 'POST', '/api/user/invitations/x/accept', { cookie: owner.cookie, body: { token: 5 } }), 'token');
    expectValidationError(await api(server.url, 'GET', orgPath(owner.organizationId, '/invitations?status=gone'), { cookie: owner.cookie }), 'status');
    expectEnvelope(await api(server.url, 'POST', '/api/user/invitations/x/accept', { body: {} }), 401, 'UNAUTHORIZED');
    expectEnvelope(await api(server.url, 'GET', '/api/user/invitations'), 401, 'UNAUTHORIZED');
    const noScope = await newKey(server.url, owner.cookie, ['user:read']);
    expectEnvelope(await api(server.url, 'POST', '/api/user/invitations/x/accept', { apiKey: noScope.key, body: {} }), 403, 'INSUFFICIENT_SCOPE');
    expectEnvelope(await api(server.url, 'GET', '/api/user/invitations', { apiKey: noScope.key }), 403, 'INSUFFICIENT_SCOPE');
  });

  it('refuses a key pinned to another organization on accept', async () => {
    const owner = await newUser(server.url, 'pin-owner');
    const address = email('pinned');
    await signUp(address);
    await verify(address);
    const cookie = await signIn(server.url, address, PASSWORD);
    const me = await api(server.url, 'GET', '/api/user/organizations', { cookie });
    const pinned = await api(server.url, 'POST', '/api/auth/api-key/create', { cookie, body: { name: 'pinned', scopes: ['organizations:write'], metadata: { organizationId: me.body.data[0].id } } });
    const sent = await invite(owner, address);
    expectEnvelope(await api(server.url, 'POST', `/api/user/invitations/${sent.body.data.id}/accept`, { apiKey: pinned.body.data.key, body: {} }), 403, 'ORGANIZATION_MISMATCH');
  });
});
