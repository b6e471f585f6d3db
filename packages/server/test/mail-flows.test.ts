/**
 * Email verification, password reset and password change, with mail delivered through a real
 * SMTP server: the links are followed as a person (or their mail client) would.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { email, newKey, newUser, PASSWORD, signIn, startServer, startSmtp, type RunningServer, type SmtpCatcher } from './harness.js';
import { api, expectEnvelope, expectNoServerErrors, expectValidationError, linkOf, mailsTo, nextMail, pathOf, RESET_SUBJECT, tokenOf, VERIFY_SUBJECT } from './support.js';

let server: RunningServer;
let smtp: SmtpCatcher;

beforeAll(async () => {
  smtp = await startSmtp();
  server = await startServer({ SMTP_URL: smtp.url });
});
afterAll(async () => {
  expectNoServerErrors(server);
  await server.stop();
  await smtp.close();
});

const NEW_PASSWORD = 'a-different-long-passphrase';
const html = { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } };

async function signUp(label: string): Promise<string> {
  const address = email(label);
  const res = await api(server.url, 'POST', '/api/auth/sign-up/email', { body: { email: address, password: PASSWORD, name: 'Mail Reader' } });
  expectEnvelope(res, 201, 'OK');
  return address;
}

/** A browser following a mailed link: redirected to the console's page for it, which it then loads. */
async function openInBrowser(link: URL, page: string) {
  const hop = await api(server.url, 'GET', pathOf(link), html);
  expect(hop.status).toBe(303);
  const location = new URL(hop.headers.get('location') ?? '', server.url);
  expect(location.pathname).toBe(page);
  expect(location.searchParams.get('token')).toBe(link.searchParams.get('token'));
  return api(server.url, 'GET', location.pathname + location.search, html);
}

async function isVerified(cookie: string): Promise<boolean> {
  return (await api(server.url, 'GET', '/api/user/me', { cookie })).body.data.isVerified;
}

describe('email verification', () => {
  it('sign-up mails a link whose GET only shows a confirmation; the POST verifies; the link is single-use', async () => {
    const address = await signUp('verify');
    const mail = await nextMail(smtp, address, VERIFY_SUBJECT);
    const link = linkOf(mail);
    expect(link.origin).toBe(server.url); // the configured base URL, never the request's Host
    expect(link.pathname).toBe('/api/auth/verify-email');
    const token = tokenOf(mail);
    expect(token).toMatch(/^bm_/);
    const cookie = await signIn(server.url, address, PASSWORD);
    expect(await isVerified(cookie)).toBe(false);

    // An API client following the link gets the confirmation in the envelope…
    const page = await api(server.url, 'GET', pathOf(link));
    expectEnvelope(page, 200, 'OK');
    expect(page.body.data).toEqual({ email: address, confirm: { method: 'POST', path: '/api/auth/verify-email' } });
    // …a browser lands on the console's page, a form that POSTs the token; neither changes anything.
    const form = await openInBrowser(link, '/verify-email');
    expect(form.status).toBe(200);
    expect(form.headers.get('content-type')).toMatch(/^text\/html/);
    expect(form.text).toMatch(/<form method="post" action="\/verify-email">/);
    expect(form.text).toContain(`value="${token}"`);
    expect(form.headers.get('referrer-policy')).toBe('no-referrer');
    expect(await isVerified(cookie)).toBe(false);

    const verified = await api(server.url, 'POST', '/api/auth/verify-email', { body: { token } });
    expectEnvelope(verified, 200, 'OK');
    expect(verified.body.data.email).toBe(address);
    // Proving the mailbox ends the sessions made before it (account pre-hijacking): sign in again.
    expectEnvelope(await api(server.url, 'GET', '/api/user/me', { cookie }), 401, 'INVALID_TOKEN');
    const fresh = await signIn(server.url, address, PASSWORD);
    const me = (await api(server.url, 'GET', '/api/user/me', { cookie: fresh })).body.data;
    expect(me.isVerified).toBe(true);
    expect(me.verifiedAt).toBe(verified.body.data.verifiedAt);

    expectEnvelope(await api(server.url, 'POST', '/api/auth/verify-email', { body: { token } }), 401, 'INVALID_TOKEN');
    expectEnvelope(await api(server.url, 'GET', pathOf(link)), 401, 'INVALID_TOKEN');
    const stale = await openInBrowser(link, '/verify-email');
    expect(stale.status).toBe(400);
    expect(stale.text).toMatch(/no longer valid/);
  });

  it("the browser form's POST (urlencoded) verifies too, and answers a page", async () => {
    const address = await signUp('form');
    const token = tokenOf(await nextMail(smtp, address, VERIFY_SUBJECT));
    const res = await api(server.url, 'POST', '/api/auth/verify-email', {
      raw: new URLSearchParams({ token }).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', ...html.headers },
    });
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/Email verified/);
    expect(await isVerified(await signIn(server.url, address, PASSWORD))).toBe(true);
  });

  it('a second verification mail voids the first link', async () => {
    const address = await signUp('twice');
    const first = tokenOf(await nextMail(smtp, address, VERIFY_SUBJECT));
    const again = await api(server.url, 'POST', '/api/auth/send-verification-email', { body: { email: address } });
    expectEnvelope(again, 200, 'OK');
    const second = tokenOf(await nextMail(smtp, address, VERIFY_SUBJECT, 1));
    expect(second).not.toBe(first);
    expectEnvelope(await api(server.url, 'POST', '/api/auth/verify-email', { body: { token: first } }), 401, 'INVALID_TOKEN');
    expectEnvelope(await api(server.url, 'POST', '/api/auth/verify-email', { body: { token: second } }), 200, 'OK');
  });

  it('asking for a verification mail answers the same for unknown and verified addresses, and sends none', async () => {
    const address = await signUp('done');
    await api(server.url, 'POST', '/api/auth/verify-email', { body: { token: tokenOf(await nextMail(smtp, address, VERIFY_SUBJECT)) } });
    const nobody = email('nobody');
    const known = await api(server.url, 'POST', '/api/auth/send-verification-email', { body: { email: address } });
    const unknown = await api(server.url, 'POST', '/api/auth/send-verification-email', { body: { email: nobody } });
    expect({ ...known.body, meta: null }).toEqual({ ...unknown.body, meta: null });
    // A mail sent at once would have arrived by the time a later one does.
    const other = await signUp('marker');
    await nextMail(smtp, other, VERIFY_SUBJECT);
    expect(mailsTo(smtp, address, VERIFY_SUBJECT)).toHaveLength(1);
    expect(mailsTo(smtp, nobody, /./)).toHaveLength(0);
  });

  it('a mangled, unknown or wrong-kind token is refused', async () => {
    const user = await newUser(server.url, 'kinds');
    for (const token of ['bm_nope', 'x'.repeat(60), user.cookie.split('=')[1]!]) {
      expectEnvelope(await api(server.url, 'POST', '/api/auth/verify-email', { body: { token } }), 401, 'INVALID_TOKEN');
    }
    // A reset token is not a verification token.
    await api(server.url, 'POST', '/api/auth/request-password-reset', { body: { email: user.email } });
    const reset = tokenOf(await nextMail(smtp, user.email, RESET_SUBJECT));
    expectEnvelope(await api(server.url, 'POST', '/api/auth/verify-email', { body: { token: reset } }), 401, 'INVALID_TOKEN');
  });
});

describe('password reset', () => {
  it('answers an unknown email exactly as a known one, and mails only the known one', async () => {
    const user = await newUser(server.url, 'reset-same');
    const nobody = email('nobody');
    const known = await api(server.url, 'POST', '/api/auth/request-password-reset', { body: { email: user.email } });
    const unknown = await api(server.url, 'POST', '/api/auth/request-password-reset', { body: { email: nobody } });
    expectEnvelope(known, 200, 'OK');
    expect({ ...unknown.body, meta: null }).toEqual({ ...known.body, meta: null });
    await nextMail(smtp, user.email, RESET_SUBJECT);
    expect(mailsTo(smtp, nobody, /./)).toHaveLength(0);
  });

  it('the link shows a form; the reset ends every session; the old password stops working; the token is single-use', async () => {
    const user = await newUser(server.url, 'reset');
    const login = await api(server.url, 'POST', '/api/auth/login', { body: { email: user.email, password: PASSWORD } });
    const bearer = login.body.data.token as string;
    await api(server.url, 'POST', '/api/auth/request-password-reset', { body: { email: user.email } });
    const mail = await nextMail(smtp, user.email, RESET_SUBJECT);
    const link = linkOf(mail);
    expect(link.origin).toBe(server.url);
    expect(mail.text).toMatch(/30 minutes/);
    const token = tokenOf(mail);

    const page = await api(server.url, 'GET', pathOf(link));
    expectEnvelope(page, 200, 'OK');
    expect(page.body.data.confirm).toEqual({ method: 'POST', path: '/api/auth/reset-password' });
    const form = await openInBrowser(link, '/reset-password');
    expect(form.text).toMatch(/<form method="post" action="\/reset-password" class="stack">/);
    expect(form.text).toMatch(/name="newPassword" type="password"/);
    // Viewing the link changed nothing.
    expectEnvelope(await api(server.url, 'GET', '/api/user/me', { cookie: user.cookie }), 200, 'OK');

    // A weak new password is refused without using the token up.
    expectValidationError(await api(server.url, 'POST', '/api/auth/reset-password', { body: { token, newPassword: 'short' } }), 'newPassword');

    const reset = await api(server.url, 'POST', '/api/auth/reset-password', { body: { token, newPassword: NEW_PASSWORD } });
    expectEnvelope(reset, 200, 'OK');
    expect(reset.headers.get('set-cookie')).toBeNull(); // no automatic sign-in
    expectEnvelope(await api(server.url, 'GET', '/api/user/me', { cookie: user.cookie }), 401, 'INVALID_TOKEN');
    expectEnvelope(await api(server.url, 'GET', '/api/user/me', { bearer }), 401, 'INVALID_TOKEN');
    expectEnvelope(await api(server.url, 'POST', '/api/auth/sign-in/email', { body: { email: user.email, password: PASSWORD } }), 401, 'INVALID_CREDENTIALS');
    expectEnvelope(await api(server.url, 'POST', '/api/auth/sign-in/email', { body: { email: user.email, password: NEW_PASSWORD } }), 200, 'OK');
    expectEnvelope(await api(server.url, 'POST', '/api/auth/reset-password', { body: { token, newPassword: 'yet-another-long-passphrase' } }), 401, 'INVALID_TOKEN');
    await nextMail(smtp, user.email, /password was changed/i);
  });

  it("builds links from the configured base URL, never from the request's Host header", async () => {
    const user = await newUser(server.url, 'reset-host');
    const { hostname, port } = new URL(server.url);
    const body = JSON.stringify({ email: user.email });
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request({ hostname, port, method: 'POST', path: '/api/auth/request-password-reset', headers: { host: 'evil.example', 'x-forwarded-host': 'evil.example', 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end(body);
    });
    expect(status).toBe(200);
    const mail = await nextMail(smtp, user.email, RESET_SUBJECT);
    expect(linkOf(mail).origin).toBe(server.url);
    expect(mail.text).not.toContain('evil.example');
  });

  it('a newer reset link voids the older one', async () => {
    const user = await newUser(server.url, 'reset-twice');
    await api(server.url, 'POST', '/api/auth/request-password-reset', { body: { email: user.email } });
    const first = tokenOf(await nextMail(smtp, user.email, RESET_SUBJECT));
    await api(server.url, 'POST', '/api/auth/request-password-reset', { body: { email: user.email } });
    const second = tokenOf(await nextMail(smtp, user.email, RESET_SUBJECT, 1));
    expectEnvelope(await api(server.url, 'POST', '/api/auth/reset-password', { body: { token: first, newPassword: NEW_PASSWORD } }), 401, 'INVALID_TOKEN');
    expectEnvelope(await api(server.url, 'POST', '/api/auth/reset-password', { body: { token: second, newPassword: NEW_PASSWORD } }), 200, 'OK');
  });

  it('a verification token cannot reset a password', async () => {
    const address = await signUp('verify-as-reset');
    const verify = tokenOf(await nextMail(smtp, address, VERIFY_SUBJECT));
    expectEnvelope(await api(server.url, 'POST', '/api/auth/reset-password', { body: { token: verify, newPassword: NEW_PASSWORD } }), 401, 'INVALID_TOKEN');
    expectEnvelope(await api(server.url, 'GET', `/api/auth/reset-password?token=${verify}`), 401, 'INVALID_TOKEN');
  });
});

describe('change password', () => {
  it('needs the current password', async () => {
    const user = await newUser(server.url, 'change-wrong');
    const res = await api(server.url, 'POST', '/api/auth/change-password', { cookie: user.cookie, body: { currentPassword: 'not-the-current-one', newPassword: NEW_PASSWORD } });
    expectValidationError(res, 'currentPassword');
    expectEnvelope(await api(server.url, 'POST', '/api/auth/sign-in/email', { body: { email: user.email, password: PASSWORD } }), 200, 'OK');
  });

  it('applies the password rules to the new password', async () => {
    const user = await newUser(server.url, 'change-weak');
    for (const newPassword of ['too-short', '123456789987654321', user.email]) {
      expectValidationError(await api(server.url, 'POST', '/api/auth/change-password', { cookie: user.cookie, body: { currentPassword: PASSWORD, newPassword } }), 'newPassword');
    }
  });

  it('with revokeOtherSessions ends every other session and keeps this one', async () => {
    const user = await newUser(server.url, 'change-revoke');
    const other = await signIn(server.url, user.email, PASSWORD);
    const res = await api(server.url, 'POST', '/api/auth/change-password', { cookie: user.cookie, body: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD, revokeOtherSessions: true } });
    expectEnvelope(res, 200, 'OK');
    expect(res.body.data).toEqual({ ok: true, revokedSessions: 1, revokedKeys: 0 });
    expectEnvelope(await api(server.url, 'GET', '/api/user/me', { cookie: other }), 401, 'INVALID_TOKEN');
    expectEnvelope(await api(server.url, 'GET', '/api/user/me', { cookie: user.cookie }), 200, 'OK');
    expectEnvelope(await api(server.url, 'POST', '/api/auth/sign-in/email', { body: { email: user.email, password: PASSWORD } }), 401, 'INVALID_CREDENTIALS');
    expectEnvelope(await api(server.url, 'POST', '/api/auth/sign-in/email', { body: { email: user.email, password: NEW_PASSWORD } }), 200, 'OK');
  });

  it('without revokeOtherSessions leaves the other sessions alone', async () => {
    const user = await newUser(server.url, 'change-keep');
    const other = await signIn(server.url, user.email, PASSWORD);
    const res = await api(server.url, 'POST', '/api/auth/change-password', { cookie: user.cookie, body: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD } });
    expect(res.body.data).toEqual({ ok: true, revokedSessions: 0, revokedKeys: 0 });
    expectEnvelope(await api(server.url, 'GET', '/api/user/me', { cookie: other }), 200, 'OK');
  });

  it('cannot be done with an API key', async () => {
    const user = await newUser(server.url, 'change-key');
    const { key } = await newKey(server.url, user.cookie, ['user:read', 'user:write']);
    const res = await api(server.url, 'POST', '/api/auth/change-password', { apiKey: key, body: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD } });
    expectEnvelope(res, 403, 'FORBIDDEN');
  });
});
