/**
 * Account pre-hijacking (issue 11, item 1): an attacker signs up with someone else's address and
 * mints credentials before the owner arrives. Proving the mailbox (reset link, verification link,
 * invitation token) must end every credential created while the address was unproven; keys a
 * verified owner made survive a reset unless `revokeKeys: true`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, email, newKey, newUser, PASSWORD, signIn, startServer, startSmtp, type RunningServer, type SmtpCatcher } from './harness.js';
import { api, expectEnvelope, expectNoServerErrors, mailsTo, nextMail, RESET_SUBJECT, tokenOf, VERIFY_SUBJECT } from './support.js';
import { INVITE_SUBJECT, orgPath } from './tenancy-support.js';

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

const NEW_PASSWORD = 'the-real-owner-passphrase';
const CHANGED_PASSWORD = 'yet-another-long-passphrase';
const NOTICE_SUBJECT = /password was changed/i;
const READ_SCOPES = ['user:read', 'organizations:read', 'projects:read', 'members:read'];

async function signUp(address: string, name = 'Someone'): Promise<void> {
  expectEnvelope(await call(server.url, 'POST', '/api/auth/sign-up/email', { body: { email: address, password: PASSWORD, name } }), 201, 'OK');
}

/** Asks for a reset link and uses it; returns the answer. */
async function resetPassword(address: string, extra: Record<string, unknown> = {}) {
  const seen = mailsTo(smtp, address, RESET_SUBJECT).length;
  expectEnvelope(await api(server.url, 'POST', '/api/auth/request-password-reset', { body: { email: address } }), 200, 'OK');
  const token = tokenOf(await nextMail(smtp, address, RESET_SUBJECT, seen));
  return api(server.url, 'POST', '/api/auth/reset-password', { body: { token, newPassword: NEW_PASSWORD, ...extra } });
}

async function verify(address: string) {
  return api(server.url, 'POST', '/api/auth/verify-email', { body: { token: tokenOf(await nextMail(smtp, address, VERIFY_SUBJECT)) } });
}

describe('account pre-hijacking', () => {
  it("the attacker's PAT and session stop at the victim's reset, and never reach the company the victim joins", async () => {
    const company = await newUser(server.url, 'company');
    expectEnvelope(await api(server.url, 'POST', orgPath(company.organizationId, '/projects'), { cookie: company.cookie, body: { name: 'Secret plans' } }), 201, 'OK');
    const victim = email('victim');

    // The attacker registers the victim's address (verification is not required) and mints a PAT.
    await signUp(victim, 'Attacker');
    const attackerCookie = await signIn(server.url, victim, PASSWORD);
    const attackerKey = await newKey(server.url, attackerCookie, READ_SCOPES);
    expectEnvelope(await api(server.url, 'GET', '/api/user/me', { apiKey: attackerKey.key }), 200, 'OK');

    // The victim cannot sign up (409), so resets the password with the link mailed to them.
    expectEnvelope(await call(server.url, 'POST', '/api/auth/sign-up/email', { body: { email: victim, password: NEW_PASSWORD, name: 'Victim' } }), 409, 'CONFLICT');
    const reset = await resetPassword(victim);
    expectEnvelope(reset, 200, 'OK');
    expect(reset.body.data).toEqual({ ok: true, revokedSessions: 1, revokedKeys: 1 });
    const notice = await nextMail(smtp, victim, NOTICE_SUBJECT);
    expect(notice.text).toMatch(/1 session signed out and 1 API key revoked/);

    // The attacker is out at once: the PAT and the session answer 401.
    expectEnvelope(await api(server.url, 'GET', '/api/user/me', { apiKey: attackerKey.key }), 401, 'INVALID_TOKEN');
    expectEnvelope(await api(server.url, 'GET', '/api/user/me', { cookie: attackerCookie }), 401, 'INVALID_TOKEN');

    // The reset proved the mailbox: the account is verified.
    const victimCookie = await signIn(server.url, victim, NEW_PASSWORD);
    const me = await api(server.url, 'GET', '/api/user/me', { cookie: victimCookie });
    expect(me.body.data.isVerified).toBe(true);

    // Later the company invites the victim, who accepts with the mailed token.
    expectEnvelope(await api(server.url, 'POST', orgPath(company.organizationId, '/members'), { cookie: company.cookie, body: { email: victim, role: 'member' } }), 201, 'OK');
    const invitation = await nextMail(smtp, victim, INVITE_SUBJECT);
    const invitationId = new URL(/https?:\/\/\S+/.exec(invitation.text)![0]).pathname.split('/').pop()!;
    const joined = await api(server.url, 'POST', `/api/user/invitations/${invitationId}/accept`, { cookie: victimCookie, body: { token: tokenOf(invitation) } });
    expectEnvelope(joined, 200, 'OK');

    // The victim sees the company; the attacker's key sees nothing of it.
    expectEnvelope(await api(server.url, 'GET', orgPath(company.organizationId, '/projects'), { cookie: victimCookie }), 200, 'OK');
    for (const path of ['/api/user/me', '/api/user/organizations', orgPath(company.organizationId, '/projects'), orgPath(company.organizationId, '/members')]) {
      expectEnvelope(await api(server.url, 'GET', path, { apiKey: attackerKey.key }), 401, 'INVALID_TOKEN');
    }
  });

  it('the verification link ends the sessions and PATs made before it; those made after it live on', async () => {
    const address = email('verify-ends');
    await signUp(address);
    const before = await signIn(server.url, address, PASSWORD);
    const early = await newKey(server.url, before, ['user:read']);
    const verified = await verify(address);
    expectEnvelope(verified, 200, 'OK');
    expect(verified.body.data).toMatchObject({ email: address, revokedSessions: 1, revokedKeys: 1 });
    expectEnvelope(await api(server.url, 'GET', '/api/user/me', { apiKey: early.key }), 401, 'INVALID_TOKEN');
    expectEnvelope(await api(server.url, 'GET', '/api/user/me', { cookie: before }), 401, 'INVALID_TOKEN');

    const after = await signIn(server.url, address, PASSWORD);
    const late = await newKey(server.url, after, ['user:read']);
    const me = await api(server.url, 'GET', '/api/user/me', { apiKey: late.key });
    expectEnvelope(me, 200, 'OK');
    expect(me.body.data.isVerified).toBe(true);
  });

  it('keys a verified owner created survive a reset (CI keeps working) unless the reset asks for revokeKeys: true', async () => {
    const address = email('ci-owner');
    await signUp(address);
    expectEnvelope(await verify(address), 200, 'OK');
    const cookie = await signIn(server.url, address, PASSWORD);
    const ci = await newKey(server.url, cookie, ['user:read']);

    const plain = await resetPassword(address);
    expectEnvelope(plain, 200, 'OK');
    expect(plain.body.data).toEqual({ ok: true, revokedSessions: 1, revokedKeys: 0 });
    expect((await nextMail(smtp, address, NOTICE_SUBJECT)).text).toMatch(/1 session signed out and 0 API keys revoked/);
    expectEnvelope(await api(server.url, 'GET', '/api/user/me', { apiKey: ci.key }), 200, 'OK');
    expectEnvelope(await api(server.url, 'GET', '/api/user/me', { cookie }), 401, 'INVALID_TOKEN');

    const seen = mailsTo(smtp, address, NOTICE_SUBJECT).length;
    const full = await resetPassword(address, { revokeKeys: true });
    expectEnvelope(full, 200, 'OK');
    expect(full.body.data).toEqual({ ok: true, revokedSessions: 0, revokedKeys: 1 });
    expect((await nextMail(smtp, address, NOTICE_SUBJECT, seen)).text).toMatch(/0 sessions signed out and 1 API key revoked/);
    expectEnvelope(await api(server.url, 'GET', '/api/user/me', { apiKey: ci.key }), 401, 'INVALID_TOKEN');
  });

  it('change-password revokes every PAT with revokeKeys: true, and only then', async () => {
    const address = email('changer');
    await signUp(address);
    expectEnvelope(await verify(address), 200, 'OK');
    const cookie = await signIn(server.url, address, PASSWORD);
    const other = await signIn(server.url, address, PASSWORD);
    const key = await newKey(server.url, cookie, ['user:read']);

    const sessionsOnly = await api(server.url, 'POST', '/api/auth/change-password', { cookie, body: { currentPassword: PASSWORD, newPassword: CHANGED_PASSWORD, revokeOtherSessions: true } });
    expectEnvelope(sessionsOnly, 200, 'OK');
    expect(sessionsOnly.body.data).toEqual({ ok: true, revokedSessions: 1, revokedKeys: 0 });
    expectEnvelope(await api(server.url, 'GET', '/api/user/me', { cookie: other }), 401, 'INVALID_TOKEN');
    expectEnvelope(await api(server.url, 'GET', '/api/user/me', { apiKey: key.key }), 200, 'OK');

    const withKeys = await api(server.url, 'POST', '/api/auth/change-password', { cookie, body: { currentPassword: CHANGED_PASSWORD, newPassword: NEW_PASSWORD, revokeOtherSessions: true, revokeKeys: true } });
    expectEnvelope(withKeys, 200, 'OK');
    expect(withKeys.body.data).toEqual({ ok: true, revokedSessions: 0, revokedKeys: 1 });
    expectEnvelope(await api(server.url, 'GET', '/api/user/me', { apiKey: key.key }), 401, 'INVALID_TOKEN');
    expectEnvelope(await api(server.url, 'GET', '/api/user/me', { cookie }), 200, 'OK');
  });

  it('accepting an invitation with its token, unverified, ends the other credentials made before but keeps the accepting session', async () => {
    const company = await newUser(server.url, 'inviting-co');
    const address = email('invitee');
    await signUp(address);
    const accepting = await signIn(server.url, address, PASSWORD);
    const elsewhere = await signIn(server.url, address, PASSWORD);
    const key = await newKey(server.url, elsewhere, ['user:read']);
    expectEnvelope(await api(server.url, 'POST', orgPath(company.organizationId, '/members'), { cookie: company.cookie, body: { email: address, role: 'member' } }), 201, 'OK');
    const invitation = await nextMail(smtp, address, INVITE_SUBJECT);
    const invitationId = new URL(/https?:\/\/\S+/.exec(invitation.text)![0]).pathname.split('/').pop()!;
    expectEnvelope(await api(server.url, 'POST', `/api/user/invitations/${invitationId}/accept`, { cookie: accepting, body: { token: tokenOf(invitation) } }), 200, 'OK');

    const me = await api(server.url, 'GET', '/api/user/me', { cookie: accepting });
    expectEnvelope(me, 200, 'OK');
    expect(me.body.data.isVerified).toBe(true);
    expectEnvelope(await api(server.url, 'GET', '/api/user/me', { cookie: elsewhere }), 401, 'INVALID_TOKEN');
    expectEnvelope(await api(server.url, 'GET', '/api/user/me', { apiKey: key.key }), 401, 'INVALID_TOKEN');
  });
});
