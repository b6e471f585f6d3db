/**
 * The web console over plain HTTP (no browser): its security headers, CSRF tokens, the
 * same-origin `return_to`, its embedded assets; and the API routes it added (re-authentication,
 * email change, platform admin) with their failure cases.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { email, newKey, newUser, PASSWORD, SERVER_FLAGS, SERVER_MAIN, signIn, startServer, startSmtp, type RunningServer, type SmtpCatcher, type TestUser } from './harness.js';
import { api, expectEnvelope, expectNoServerErrors, expectValidationError, linkOf, mailsTo, nextMail, RESET_SUBJECT } from './support.js';
import { joinOrg } from './tenancy-support.js';

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

const HTML = { accept: 'text/html' };

/** A browser's first visit to a page: its CSRF cookie and the token its forms carry. */
async function formOf(pathname: string, cookie = ''): Promise<{ cookie: string; token: string; text: string }> {
  const res = await api(server.url, 'GET', pathname, { headers: { ...HTML, ...(cookie ? { cookie } : {}) } });
  expect(res.status).toBe(200);
  const set = res.headers.getSetCookie().find((c) => c.startsWith('acct_csrf='));
  const csrfCookie = set ? set.split(';')[0]! : cookie.split('; ').find((c) => c.startsWith('acct_csrf=')) ?? '';
  const token = /name="_csrf" value="([^"]+)"/.exec(res.text)?.[1] ?? '';
  return { cookie: [cookie.split('; ').filter((c) => c && !c.startsWith('acct_csrf=')).join('; '), csrfCookie].filter(Boolean).join('; '), token, text: res.text };
}

function post(pathname: string, cookie: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
  return api(server.url, 'POST', pathname, {
    raw: new URLSearchParams(fields).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, origin: server.url, ...HTML, ...headers },
  });
}

/** `acct-server admin grant EMAIL` against the test server's data dir and database (async: a
 * blocked event loop would miss the server closing idle keep-alive sockets). */
async function grant(address: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [...SERVER_FLAGS, SERVER_MAIN, 'admin', 'grant', address], {
      env: { PATH: process.env['PATH'] ?? '', ACCT_DATA_DIR: server.dataDir, ...(server.databaseUrl ? { DATABASE_URL: server.databaseUrl } : {}) },
      encoding: 'utf8',
    });
    return { status: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { status: e.code ?? null, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('pages', () => {
  it('answer with a strict page CSP: a nonce for scripts, no unsafe-inline, never framed, no referrer', async () => {
    const res = await api(server.url, 'GET', '/sign-in', { headers: HTML });
    const csp = res.headers.get('content-security-policy') ?? '';
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeTruthy();
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/frame-ancestors 'none'/);
    expect(csp).toMatch(/form-action 'self'/);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('cache-control')).toBe('no-store');
    // Every script carries this response's nonce; none is inline.
    const scripts = [...res.text.matchAll(/<script([^>]*)>/g)].map((m) => m[1]!);
    expect(scripts.length).toBeGreaterThan(0);
    for (const attrs of scripts) {
      expect(attrs).toContain(`nonce="${nonce}"`);
      expect(attrs).toMatch(/src="\/assets\//);
    }
    // A new nonce per response.
    const again = await api(server.url, 'GET', '/sign-in', { headers: HTML });
    expect(again.headers.get('content-security-policy')).not.toContain(nonce!);
  });

  it('send signed-out visitors of a private page to sign-in with a return_to', async () => {
    for (const page of ['/settings/profile', '/settings/api-keys', '/settings/sessions', '/orgs', '/admin']) {
      const res = await api(server.url, 'GET', page, { headers: HTML });
      expect(res.status, page).toBe(303);
      expect(res.headers.get('location')).toBe(`/sign-in?return_to=${encodeURIComponent(page)}`);
    }
  });

  it('return to a same-origin path after signing in, never to another site', async () => {
    const user = await newUser(server.url, 'return');
    for (const [returnTo, expected] of [
      ['/orgs', '/orgs'], ['//evil.example/x', '/settings/profile'], ['/\\evil.example', '/settings/profile'],
      ['https://evil.example/', '/settings/profile'], ['javascript:alert(1)', '/settings/profile'],
    ] as const) {
      const form = await formOf(`/sign-in?return_to=${encodeURIComponent(returnTo)}`);
      const res = await post('/sign-in', form.cookie, { _csrf: form.token, email: user.email, password: PASSWORD, return_to: returnTo });
      expect(res.status, returnTo).toBe(303);
      expect(res.headers.get('location'), returnTo).toBe(expected);
      expect(res.headers.getSetCookie().some((c) => c.startsWith('acct_session='))).toBe(true);
    }
  });

  it('refuse a form without this browser’s CSRF token, or from another site', async () => {
    const user = await newUser(server.url, 'csrf');
    const form = await formOf('/sign-in');
    const other = await formOf('/sign-in');
    const fields = { email: user.email, password: PASSWORD };
    for (const [why, res] of [
      ['no token', await post('/sign-in', form.cookie, fields)],
      ['a wrong token', await post('/sign-in', form.cookie, { ...fields, _csrf: form.token.slice(0, -2) + 'xx' })],
      ["another browser's token", await post('/sign-in', form.cookie, { ...fields, _csrf: other.token })],
      ['no CSRF cookie', await post('/sign-in', '', { ...fields, _csrf: form.token })],
    ] as const) {
      expect(res.status, why).toBe(403);
      expect(res.text, why).toMatch(/This form has expired or came from another site/);
      expect(res.headers.getSetCookie().some((c) => c.startsWith('acct_session=')), why).toBe(false);
    }
    // The fetch-metadata check too: a cross-site form, even with a stolen token, is refused.
    const cross = await post('/sign-in', form.cookie, { ...fields, _csrf: form.token }, { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' });
    expectEnvelope(cross, 403, 'FORBIDDEN');
    const crossNull = await post('/sign-in', form.cookie, { ...fields, _csrf: form.token }, { origin: 'null', 'sec-fetch-site': 'cross-site' });
    expectEnvelope(crossNull, 403, 'FORBIDDEN');
    // A JSON body is not a form of ours.
    const json = await api(server.url, 'POST', '/sign-in', { cookie: form.cookie, body: { ...fields, _csrf: form.token }, headers: { origin: server.url } });
    expectEnvelope(json, 400, 'BAD_REQUEST');
    // The right token from the same browser works (Origin: null as browsers send under no-referrer).
    const ok = await post('/sign-in', form.cookie, { ...fields, _csrf: form.token }, { origin: 'null', 'sec-fetch-site': 'same-origin' });
    expect(ok.status).toBe(303);
  });

  it('bind the CSRF token to the session: signing in changes it', async () => {
    const user = await newUser(server.url, 'bound');
    const before = await formOf('/sign-in');
    const signedIn = await post('/sign-in', before.cookie, { _csrf: before.token, email: user.email, password: PASSWORD });
    const session = signedIn.headers.getSetCookie().find((c) => c.startsWith('acct_session='))!.split(';')[0]!;
    const cookie = `${before.cookie}; ${session}`;
    const profile = await formOf('/settings/profile', cookie);
    expect(profile.token).not.toBe(before.token);
    const stale = await post('/settings/profile/name', cookie, { _csrf: before.token, name: 'Changed' });
    expect(stale.status).toBe(403);
    const fresh = await post('/settings/profile/name', cookie, { _csrf: profile.token, name: 'Changed Name' });
    expect(fresh.status).toBe(303);
    expect((await api(server.url, 'GET', '/api/user/me', { cookie: user.cookie })).body.data.fullName).toBe('Changed Name');
  });

  it('show form errors tied to their fields, in the page, never a 500', async () => {
    const form = await formOf('/sign-up');
    const res = await post('/sign-up', form.cookie, { _csrf: form.token, name: '', email: 'not-an-email', password: 'short' });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.text).toMatch(/aria-invalid="true"/);
    expect(res.text).toMatch(/aria-describedby="f-email-error"/);
    const big = await post('/sign-up', form.cookie, { _csrf: form.token, name: 'x'.repeat(300_000), email: 'a@example.com', password: PASSWORD });
    expectEnvelope(big, 413, 'PAYLOAD_TOO_LARGE');
  });

  it('serve the embedded stylesheet and script under hashed, long-cached URLs', async () => {
    const page = await api(server.url, 'GET', '/sign-in', { headers: HTML });
    const css = /href="(\/assets\/[^"]+\/console\.css)"/.exec(page.text)?.[1];
    const js = /src="(\/assets\/[^"]+\/console\.js)"/.exec(page.text)?.[1];
    const cssRes = await api(server.url, 'GET', css!);
    expect(cssRes.status).toBe(200);
    expect(cssRes.headers.get('content-type')).toMatch(/^text\/css/);
    expect(cssRes.headers.get('cache-control')).toMatch(/immutable/);
    expect(cssRes.text).toMatch(/prefers-color-scheme: dark/);
    expect((await api(server.url, 'GET', js!)).headers.get('content-type')).toMatch(/^text\/javascript/);
    expectEnvelope(await api(server.url, 'GET', '/assets/not-the-hash/console.css'), 404, 'NOT_FOUND');
  });

  it('render the guides and the API reference, with raw HTML in Markdown shown as text', async () => {
    const index = await api(server.url, 'GET', '/docs', { headers: HTML });
    expect(index.status).toBe(200);
    expect(index.text).toMatch(/href="\/docs\/api"/);
    const api_ = await api(server.url, 'GET', '/docs/api', { headers: HTML });
    expect(api_.text).toContain('/api/auth/api-key/create');
    const guide = await api(server.url, 'GET', '/docs/cli', { headers: HTML });
    expect(guide.status).toBe(200);
    expect(guide.text).toMatch(/<h1>/);
    expect(guide.text).not.toMatch(/<script(?![^>]*nonce)/);
    expect((await api(server.url, 'GET', '/docs/HELPERS', { headers: HTML })).status).toBe(404);
  });
});

describe('organization pages', () => {
  it("change a member's role and remove them, within the caller's role; strangers get a 404", async () => {
    const [owner, member, stranger] = await Promise.all([newUser(server.url, 'org-owner'), newUser(server.url, 'org-member'), newUser(server.url, 'org-stranger')]);
    await joinOrg(server, smtp, owner, owner.organizationId, member, 'member');
    const org = `/orgs/${owner.organizationId}`;
    const members = async () => (await api(server.url, 'GET', `/api/user/organizations/${owner.organizationId}/members`, { cookie: owner.cookie })).body.data as { userId: string; role: string }[];

    // A member may not change roles: the page refuses, nothing changes.
    const asMember = await formOf(org, member.cookie);
    const refused = await post(`${org}/members/${owner.id}/role`, asMember.cookie, { _csrf: asMember.token, role: 'member' });
    expect(refused.status).toBe(403);
    expect((await members()).find((m) => m.userId === owner.id)?.role).toBe('owner');

    const form = await formOf(org, owner.cookie);
    expect(form.text).toContain(`aria-label="Remove ${member.email}"`);
    const bad = await post(`${org}/members/${member.id}/role`, form.cookie, { _csrf: form.token, role: 'emperor' });
    expect(bad.status).toBe(400);
    const changed = await post(`${org}/members/${member.id}/role`, form.cookie, { _csrf: form.token, role: 'admin' });
    expect(changed.status).toBe(303);
    expect((await members()).find((m) => m.userId === member.id)?.role).toBe('admin');
    const removed = await post(`${org}/members/${member.id}/remove`, form.cookie, { _csrf: form.token });
    expect(removed.status).toBe(303);
    expect((await members()).map((m) => m.userId)).not.toContain(member.id);

    const away = await api(server.url, 'GET', org, { cookie: stranger.cookie, headers: HTML });
    expect(away.status).toBe(404);
    expect(away.headers.get('content-type')).toMatch(/^text\/html/);
  });
});

describe('console API routes', () => {
  let user: TestUser;
  beforeAll(async () => {
    user = await newUser(server.url, 'console-api');
  });

  it('re-authenticates a session with the password, refusing a wrong one and API keys', async () => {
    expectEnvelope(await api(server.url, 'POST', '/api/auth/reauthenticate', { cookie: user.cookie, body: { password: 'wrong-password-here' } }), 401, 'INVALID_CREDENTIALS');
    const ok = await api(server.url, 'POST', '/api/auth/reauthenticate', { cookie: user.cookie, body: { password: PASSWORD } });
    expectEnvelope(ok, 200, 'OK');
    expect(Date.parse(ok.body.data.reauthenticatedAt)).toBeGreaterThan(Date.now() - 60_000);
    const { key } = await newKey(server.url, user.cookie, ['user:read', 'user:write']);
    expectEnvelope(await api(server.url, 'POST', '/api/auth/reauthenticate', { apiKey: key, body: { password: PASSWORD } }), 403, 'FORBIDDEN');
    expectValidationError(await api(server.url, 'POST', '/api/auth/reauthenticate', { cookie: user.cookie, body: {} }), 'password');
  });

  it('changes the email: a link to the new address, a notice to the old one; the account moves when the link is used', async () => {
    const mover = await newUser(server.url, 'mover');
    const taken = await newUser(server.url, 'taken');
    expectEnvelope(await api(server.url, 'POST', '/api/auth/change-email', { cookie: mover.cookie, body: { newEmail: email('x'), password: 'wrong-password-here' } }), 401, 'INVALID_CREDENTIALS');
    expectEnvelope(await api(server.url, 'POST', '/api/auth/change-email', { cookie: mover.cookie, body: { newEmail: taken.email, password: PASSWORD } }), 409, 'CONFLICT');
    expectValidationError(await api(server.url, 'POST', '/api/auth/change-email', { cookie: mover.cookie, body: { newEmail: 'nope', password: PASSWORD } }), 'newEmail');
    const next = email('moved');
    const asked = await api(server.url, 'POST', '/api/auth/change-email', { cookie: mover.cookie, body: { newEmail: next, password: PASSWORD } });
    expectEnvelope(asked, 202, 'OK');
    expect(asked.body.data.pendingEmail).toBe(next);
    const notice = await nextMail(smtp, mover.email, /being changed/);
    expect(notice.text).toContain(next);
    const link = linkOf(await nextMail(smtp, next, /confirm your new email/i));
    expect(link.pathname).toBe('/confirm-email');
    // Nothing moved yet.
    expect((await api(server.url, 'GET', '/api/user/me', { cookie: mover.cookie })).body.data.email).toBe(mover.email);
    const token = link.searchParams.get('token')!;
    expectEnvelope(await api(server.url, 'POST', '/api/auth/confirm-email-change', { body: { token: token.slice(0, -1) + 'x' } }), 401, 'INVALID_TOKEN');
    const done = await api(server.url, 'POST', '/api/auth/confirm-email-change', { body: { token } });
    expectEnvelope(done, 200, 'OK');
    expect(done.body.data).toMatchObject({ email: next, previousEmail: mover.email });
    const me = (await api(server.url, 'GET', '/api/user/me', { cookie: mover.cookie })).body.data;
    expect(me.email).toBe(next);
    expect(me.isVerified).toBe(true);
    expectEnvelope(await api(server.url, 'POST', '/api/auth/confirm-email-change', { body: { token } }), 401, 'INVALID_TOKEN');
    await signIn(server.url, next, PASSWORD);
  });

  it('lets only platform admins list, disable, enable and force resets; a disabled account’s key stops on the next request', async () => {
    const [admin, victim] = await Promise.all([newUser(server.url, 'root'), newUser(server.url, 'target')]);
    const { key } = await newKey(server.url, victim.cookie, ['user:read']);
    // Not yet an admin: refused.
    expectEnvelope(await api(server.url, 'GET', '/api/admin/users', { cookie: admin.cookie }), 403, 'FORBIDDEN');
    expectEnvelope(await api(server.url, 'POST', `/api/admin/users/${victim.id}/disable`, { cookie: admin.cookie }), 403, 'FORBIDDEN');
    const bad = await grant('nobody@example.com');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/no account/);
    const ok = await grant(admin.email);
    expect(ok.status, ok.stderr).toBe(0);

    const found = await api(server.url, 'GET', `/api/admin/users?q=${encodeURIComponent(victim.email.toUpperCase())}`, { cookie: admin.cookie });
    expectEnvelope(found, 200, 'OK');
    expect(found.body.data.map((u: { id: string }) => u.id)).toEqual([victim.id]);
    // PATs cannot administer, even the admin's own.
    const adminKey = await newKey(server.url, admin.cookie, ['user:read']);
    expectEnvelope(await api(server.url, 'GET', '/api/admin/users', { apiKey: adminKey.key }), 403, 'FORBIDDEN');

    expectEnvelope(await api(server.url, 'POST', '/api/admin/users/no-such-user/disable', { cookie: admin.cookie }), 404, 'NOT_FOUND');
    expectEnvelope(await api(server.url, 'POST', `/api/admin/users/${admin.id}/disable`, { cookie: admin.cookie }), 403, 'FORBIDDEN');
    expectEnvelope(await api(server.url, 'GET', '/api/user/me', { apiKey: key }), 200, 'OK');
    const disabled = await api(server.url, 'POST', `/api/admin/users/${victim.id}/disable`, { cookie: admin.cookie });
    expectEnvelope(disabled, 200, 'OK');
    expect(disabled.body.data.user.isActive).toBe(false);
    expect(disabled.body.data.revokedSessions).toBeGreaterThanOrEqual(1);
    expectEnvelope(await api(server.url, 'GET', '/api/user/me', { apiKey: key }), 403, 'ACCOUNT_DISABLED');
    expectEnvelope(await api(server.url, 'GET', '/api/user/me', { cookie: victim.cookie }), 401, 'INVALID_TOKEN');
    expectEnvelope(await api(server.url, 'POST', '/api/auth/sign-in/email', { body: { email: victim.email, password: PASSWORD } }), 403, 'ACCOUNT_DISABLED');

    expectEnvelope(await api(server.url, 'POST', `/api/admin/users/${victim.id}/enable`, { cookie: admin.cookie }), 200, 'OK');
    expectEnvelope(await api(server.url, 'GET', '/api/user/me', { apiKey: key }), 200, 'OK');

    const seen = mailsTo(smtp, victim.email, RESET_SUBJECT).length;
    const cookie = await signIn(server.url, victim.email, PASSWORD);
    const forced = await api(server.url, 'POST', `/api/admin/users/${victim.id}/force-password-reset`, { cookie: admin.cookie });
    expectEnvelope(forced, 200, 'OK');
    expectEnvelope(await api(server.url, 'GET', '/api/user/me', { cookie }), 401, 'INVALID_TOKEN');
    expectEnvelope(await api(server.url, 'POST', '/api/auth/sign-in/email', { body: { email: victim.email, password: PASSWORD } }), 401, 'INVALID_CREDENTIALS');
    await nextMail(smtp, victim.email, RESET_SUBJECT, seen);
  });
});
