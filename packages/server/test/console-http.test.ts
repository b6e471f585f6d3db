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
import { joinOrg, orgPath, sqlOn } from './tenancy-support.js';
import { startReceiver } from './webhook-receiver.js';
import { ERROR_CODES } from '@acct/shared';

let server: RunningServer;
let smtp: SmtpCatcher;

beforeAll(async () => {
  smtp = await startSmtp();
  // Webhook pages send test events to a receiver on 127.0.0.1.
  server = await startServer({ SMTP_URL: smtp.url, ACCT_WEBHOOKS_ALLOW_PRIVATE: 'true', ACCT_WEBHOOK_POLL_MS: '100' });
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
async function grant(address: string, action: 'grant' | 'revoke' = 'grant'): Promise<{ status: number | null; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [...SERVER_FLAGS, SERVER_MAIN, 'admin', action, address], {
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

  it('list the guides under their titles, each a page of the layout, and the error guide has every error code', async () => {
    const titles = ['Quick Start', 'API Structure', 'Error Handling', 'Rate Limits', 'Scopes &amp; Permissions', 'API Keys', 'Projects', 'OAuth', 'MCP', 'Webhooks'];
    const index = await api(server.url, 'GET', '/docs', { headers: HTML });
    const nav = /<nav aria-label="Guides">([\s\S]*?)<\/nav>/.exec(index.text)?.[1] ?? '';
    const links = [...nav.matchAll(/<a href="(\/docs\/[a-z-]+)"[^>]*>([^<]+)<\/a>/g)].map((m) => [m[1]!, m[2]!] as const);
    expect(links.slice(0, titles.length).map(([, title]) => title)).toEqual(titles);
    for (const [href, title] of links.slice(0, titles.length)) {
      const page = await api(server.url, 'GET', href, { headers: HTML });
      expect(page.status, href).toBe(200);
      expect(page.text, href).toContain(`<title>${title} · acct</title>`);
      expect(page.text, href).toContain('<nav aria-label="Guides">');
      expect(page.text, href).toContain('<nav aria-label="Main">');
    }
    const errors = await api(server.url, 'GET', '/docs/errors', { headers: HTML });
    for (const [code, { status }] of Object.entries(ERROR_CODES)) {
      expect(errors.text, code).toMatch(new RegExp(`<td>${status}</td>\\s*<td><code>${code}</code></td>`));
    }
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

/** The audit rows of an action (oldest first), read from the database itself. */
async function auditRows(action: string, targetId: string): Promise<{ actor_type: string; actor_id: string | null; user_id: string | null; organization_id: string | null; detail: string }[]> {
  return (await sqlOn(server, 'SELECT actor_type, actor_id, user_id, organization_id, detail FROM audit_log WHERE action = ? AND target_id = ? ORDER BY id', [action, targetId])) as never;
}

describe('organization pages: invitations, credits, webhooks, audit log', () => {
  it('revoke a pending invitation with a CSRF form: one audit row by the owner, the link stops, a member is refused', async () => {
    const [owner, member] = await Promise.all([newUser(server.url, 'inv-owner'), newUser(server.url, 'inv-member')]);
    await joinOrg(server, smtp, owner, owner.organizationId, member, 'member');
    const invited = email('invited');
    const invite = await api(server.url, 'POST', orgPath(owner.organizationId, '/members'), { cookie: owner.cookie, body: { email: invited, role: 'member' } });
    expectEnvelope(invite, 201, 'OK');
    const id = invite.body.data.id as string;
    const org = `/orgs/${owner.organizationId}`;

    const asMember = await formOf(org, member.cookie);
    expect(asMember.text).not.toContain(`/invitations/${id}/revoke`);
    expect((await post(`${org}/invitations/${id}/revoke`, asMember.cookie, { _csrf: asMember.token })).status).toBe(403);

    const form = await formOf(org, owner.cookie);
    expect(form.text).toContain(`aria-label="Revoke the invitation of ${invited}"`);
    expect(form.text).toMatch(/data-confirm="Revoke the invitation/);
    expect((await post(`${org}/invitations/${id}/revoke`, form.cookie, {})).status).toBe(403);
    const done = await post(`${org}/invitations/${id}/revoke`, form.cookie, { _csrf: form.token });
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe(`${org}?done=invitation-revoked`);
    const listed = await api(server.url, 'GET', orgPath(owner.organizationId, `/invitations?status=revoked`), { cookie: owner.cookie });
    expect(listed.body.data.map((i: { id: string }) => i.id)).toContain(id);
    const rows = await auditRows('invitation.revoked', id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ actor_type: 'user', actor_id: owner.id, organization_id: owner.organizationId });
    // Twice: the page says why, no second row.
    const again = await post(`${org}/invitations/${id}/revoke`, form.cookie, { _csrf: form.token });
    expect(again.status).toBe(409);
    expect(again.text).toContain('already revoked');
    expect(await auditRows('invitation.revoked', id)).toHaveLength(1);
    expect((await post(`${org}/invitations/no-such-invitation/revoke`, form.cookie, { _csrf: form.token })).status).toBe(404);
  });

  it('show the credit balance the subscription API answers, after debits and a top-up', async () => {
    const owner = await newUser(server.url, 'credits');
    const path = orgPath(owner.organizationId);
    expectEnvelope(await api(server.url, 'POST', `${path}/projects`, { cookie: owner.cookie, body: { name: 'Spends one' } }), 201, 'OK');
    expectEnvelope(await api(server.url, 'POST', `${path}/payments`, { cookie: owner.cookie, body: { amount: 37 }, headers: { 'idempotency-key': `pay-${owner.id}` } }), 201, 'OK');
    const sub = await api(server.url, 'GET', `${path}/subscription`, { cookie: owner.cookie });
    expectEnvelope(sub, 200, 'OK');
    expect(sub.body.data.creditBalance).toBe(100 - 1 + 37);
    const page = await formOf(`/orgs/${owner.organizationId}`, owner.cookie);
    expect(/Balance: <strong id="credit-balance">(\d+)<\/strong> credits/.exec(page.text)?.[1]).toBe(String(sub.body.data.creditBalance));
    expect(page.text).toContain(`Plan <strong>${sub.body.data.plan}</strong>, ${sub.body.data.seats} seats`);
  });

  it('manage webhooks: create with the secret shown once, disable, enable, test, redeliver, rotate, delete; members and strangers are refused', async () => {
    const [owner, member, stranger] = await Promise.all([newUser(server.url, 'hook-owner'), newUser(server.url, 'hook-member'), newUser(server.url, 'hook-stranger')]);
    await joinOrg(server, smtp, owner, owner.organizationId, member, 'member');
    const receiver = await startReceiver();
    try {
      const base = `/orgs/${owner.organizationId}/webhooks`;
      const apiBase = orgPath(owner.organizationId, '/webhooks');
      expect((await api(server.url, 'GET', base, { cookie: member.cookie, headers: HTML })).status).toBe(403);
      expect((await api(server.url, 'GET', `/orgs/${owner.organizationId}/audit-log`, { cookie: member.cookie, headers: HTML })).status).toBe(403);
      expect((await api(server.url, 'GET', base, { cookie: stranger.cookie, headers: HTML })).status).toBe(404);
      const memberPage = await formOf(`/orgs/${owner.organizationId}`, member.cookie);
      expect(memberPage.text).not.toContain(`href="${base}"`);

      const form = await formOf(base, owner.cookie);
      expect(form.text).toContain('name="events" value="project.created"');
      // Form errors in the page, the values kept: no event, then a URL that is not a URL.
      const noEvents = await post(base, form.cookie, { _csrf: form.token, url: receiver.url, description: 'kept' });
      expect(noEvents.status).toBe(400);
      expect(noEvents.text).toContain('value="kept"');
      expect(noEvents.text).toMatch(/id="f-events-error">Choose at least one event</);
      const badUrl = await post(base, form.cookie, { _csrf: form.token, url: 'ftp://x', events: 'project.created' });
      expect(badUrl.status).toBe(400);
      expect(badUrl.text).toMatch(/aria-invalid="true"[^>]*aria-describedby="f-url-hint f-url-error"|id="f-url-error"/);
      const memberForm = await formOf(`/orgs/${owner.organizationId}`, member.cookie);
      expect((await post(base, memberForm.cookie, { _csrf: memberForm.token, url: receiver.url, events: 'project.created' })).status).toBe(403);

      const body = new URLSearchParams([['_csrf', form.token], ['url', receiver.url], ['description', 'CI hook'], ['events', 'project.created'], ['events', 'webhook.test']]).toString();
      const created = await api(server.url, 'POST', base, { raw: body, headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: form.cookie, origin: server.url, ...HTML } });
      expect(created.status).toBe(201);
      const secret = /id="new-secret"[^>]*>([^<]+)</.exec(created.text)?.[1] ?? '';
      expect(secret.startsWith('whsec_')).toBe(true);
      receiver.secrets.add(secret);
      const listed = await api(server.url, 'GET', apiBase, { cookie: owner.cookie });
      expect(listed.body.data).toHaveLength(1);
      const hook = listed.body.data[0] as { id: string; events: string[]; description: string };
      expect(hook).toMatchObject({ events: ['project.created', 'webhook.test'], description: 'CI hook' });
      // Shown once: no later page has it.
      expect((await formOf(base, owner.cookie)).text).not.toContain(secret);
      expect((await formOf(`${base}/${hook.id}`, owner.cookie)).text).not.toContain(secret);

      const page = `${base}/${hook.id}`;
      const status = async () => (await api(server.url, 'GET', `${apiBase}/${hook.id}`, { cookie: owner.cookie })).body.data.status;
      expect((await post(`${page}/disable`, form.cookie, { _csrf: form.token })).status).toBe(303);
      expect(await status()).toBe('disabled');
      const refusedTest = await post(`${page}/test`, form.cookie, { _csrf: form.token });
      expect(refusedTest.status).toBe(409);
      expect(refusedTest.text).toContain('enable it first');
      expect((await post(`${page}/enable`, form.cookie, { _csrf: form.token })).status).toBe(303);
      expect(await status()).toBe('active');

      expect((await post(`${page}/test`, form.cookie, { _csrf: form.token })).status).toBe(303);
      await expect.poll(() => receiver.received.length, { timeout: 15_000 }).toBe(1);
      expect(receiver.received[0]).toMatchObject({ verified: true, event: { type: 'webhook.test' } });
      const deliveries = async () => (await api(server.url, 'GET', `${apiBase}/${hook.id}/deliveries`, { cookie: owner.cookie })).body.data as { id: string; status: string; attempts: number; lastStatusCode: number | null; lastDurationMs: number | null }[];
      await expect.poll(async () => (await deliveries())[0]?.status, { timeout: 15_000 }).toBe('delivered');
      const [first] = await deliveries();
      const detail = await formOf(page, owner.cookie);
      expect(detail.text).toContain(`Redeliver webhook.test ${first!.id}`);
      expect(detail.text).toMatch(/data-label="Status code">200</);
      expect(detail.text).toContain(`data-label="Attempts">${first!.attempts}<`);
      expect(detail.text).toContain(`${first!.lastDurationMs} ms`);

      expect((await post(`${page}/deliveries/${first!.id}/redeliver`, form.cookie, { _csrf: form.token })).status).toBe(303);
      await expect.poll(() => receiver.received.length, { timeout: 15_000 }).toBe(2);
      expect(receiver.received[1]!.id).toBe(receiver.received[0]!.id);

      const rotated = await post(`${page}/rotate-secret`, form.cookie, { _csrf: form.token });
      expect(rotated.status).toBe(200);
      const next = /id="new-secret"[^>]*>([^<]+)</.exec(rotated.text)?.[1] ?? '';
      expect(next.startsWith('whsec_') && next !== secret).toBe(true);
      expect((await api(server.url, 'GET', `${apiBase}/${hook.id}`, { cookie: owner.cookie })).body.data.previousSecretExpiresAt).not.toBeNull();

      const deleted = await post(`${page}/delete`, form.cookie, { _csrf: form.token });
      expect(deleted.status).toBe(303);
      expect(deleted.headers.get('location')).toBe(`${base}?done=deleted`);
      expectEnvelope(await api(server.url, 'GET', `${apiBase}/${hook.id}`, { cookie: owner.cookie }), 404, 'NOT_FOUND');
      expect((await post(`${page}/enable`, form.cookie, { _csrf: form.token })).status).toBe(404);

      // One row per change, by the owner, none with a secret in it.
      for (const [action, target, n] of [['webhook.created', hook.id, 1], ['webhook.updated', hook.id, 2], ['webhook.secret_rotated', hook.id, 1], ['webhook.deleted', hook.id, 1], ['webhook.redelivered', first!.id, 1]] as const) {
        const rows = await auditRows(action, target);
        expect(rows, action).toHaveLength(n);
        for (const row of rows) {
          expect(row, action).toMatchObject({ actor_type: 'user', actor_id: owner.id, organization_id: owner.organizationId });
          expect(row.detail).not.toContain('whsec_');
        }
      }
    } finally {
      await receiver.close();
    }
  });

  it('show the audit log newest first, filtered by action, actor and date, a page at a time; bad filters are form errors', async () => {
    const owner = await newUser(server.url, 'audit-owner');
    const apiBase = orgPath(owner.organizationId, '/webhooks');
    const made = await api(server.url, 'POST', apiBase, { cookie: owner.cookie, body: { url: 'https://hooks.example.com/acct', events: ['project.created'] } });
    expectEnvelope(made, 201, 'OK');
    for (let i = 0; i < 26; i++) {
      expectEnvelope(await api(server.url, 'PATCH', `${apiBase}/${made.body.data.id}`, { cookie: owner.cookie, body: { description: `change ${i}` } }), 200, 'OK');
    }
    const base = `/orgs/${owner.organizationId}/audit-log`;
    const all = await formOf(base, owner.cookie);
    const actions = [...all.text.matchAll(/data-label="Action"><code class="nowrap">([^<]+)</g)].map((m) => m[1]);
    expect(actions).toHaveLength(25);
    expect(actions.every((a) => a === 'webhook.updated')).toBe(true);
    expect(all.text).toContain(`${owner.email} (session)`);
    const older = /href="([^"]*cursor=[^"]+)">Older entries/.exec(all.text)?.[1]?.replaceAll('&amp;', '&');
    expect(older).toBeTruthy();
    const rest = await formOf(older!, owner.cookie);
    const restActions = [...rest.text.matchAll(/data-label="Action"><code class="nowrap">([^<]+)</g)].map((m) => m[1]);
    // The 26th update, the endpoint's creation, the organization's creation: oldest last.
    expect(restActions).toEqual(['webhook.updated', 'webhook.created', 'organization.created']);
    expect(rest.text).not.toContain('Older entries');

    const created = await formOf(`${base}?action=webhook.created`, owner.cookie);
    expect([...created.text.matchAll(/data-label="Action"><code class="nowrap">([^<]+)</g)].map((m) => m[1])).toEqual(['webhook.created']);
    const family = await formOf(`${base}?action=${encodeURIComponent('organization.*')}`, owner.cookie);
    expect([...family.text.matchAll(/data-label="Action"><code class="nowrap">([^<]+)</g)].map((m) => m[1])).toEqual(['organization.created']);
    expect((await formOf(`${base}?actor=${owner.id}&action=webhook.created`, owner.cookie)).text).toContain('webhook.created</code>');
    expect((await formOf(`${base}?actor=usr_nobody`, owner.cookie)).text).toContain('No entries match.');
    expect((await formOf(`${base}?since=2999-01-01`, owner.cookie)).text).toContain('No entries match.');
    expect((await formOf(`${base}?since=2000-01-01&action=webhook.created`, owner.cookie)).text).toContain('webhook.created</code>');
    for (const bad of ['action=DROP%20TABLE', 'since=yesterday']) {
      const res = await api(server.url, 'GET', `${base}?${bad}`, { cookie: owner.cookie, headers: HTML });
      expect(res.status, bad).toBe(400);
      expect(res.text, bad).toMatch(/class="error-text" id="f-(action|since)-error"/);
    }
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
    // One row for the request (the refused attempts above wrote none), by the account itself.
    const requested = await auditRows('user.email_change_requested', mover.id);
    expect(requested).toHaveLength(1);
    expect(requested[0]).toMatchObject({ actor_type: 'user', actor_id: mover.id, user_id: mover.id });
    expect(JSON.parse(requested[0]!.detail)).toEqual({ newEmail: next });
    const notice = await nextMail(smtp, mover.email, /being changed/);
    expect(notice.text).toContain(next);
    const link = linkOf(await nextMail(smtp, next, /confirm your new email/i));
    expect(link.pathname).toBe('/confirm-email');
    // Nothing moved yet.
    expect((await api(server.url, 'GET', '/api/user/me', { cookie: mover.cookie })).body.data.email).toBe(mover.email);
    const token = link.searchParams.get('token')!;
    // Its last character changed (to another one: a token ending in 'x' must not stay the same).
    expectEnvelope(await api(server.url, 'POST', '/api/auth/confirm-email-change', { body: { token: token.slice(0, -1) + (token.endsWith('x') ? 'y' : 'x') } }), 401, 'INVALID_TOKEN');
    const done = await api(server.url, 'POST', '/api/auth/confirm-email-change', { body: { token } });
    expectEnvelope(done, 200, 'OK');
    expect(done.body.data).toMatchObject({ email: next, previousEmail: mover.email });
    const changed = await auditRows('user.email_changed', mover.id);
    expect(changed).toHaveLength(1);
    expect(changed[0]).toMatchObject({ user_id: mover.id });
    expect(JSON.parse(changed[0]!.detail)).toEqual({ previousEmail: mover.email, email: next });
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
    const granted = await auditRows('admin.granted', admin.id);
    expect(granted).toHaveLength(1);
    expect(granted[0]).toMatchObject({ actor_type: 'anonymous', actor_id: null, user_id: admin.id });

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
    // Refused attempts above wrote nothing; the disable wrote one row: the admin acted, on the victim's account.
    const disabledRows = await auditRows('admin.user_disabled', victim.id);
    expect(disabledRows).toHaveLength(1);
    expect(disabledRows[0]).toMatchObject({ actor_type: 'user', actor_id: admin.id, user_id: victim.id });
    expect(await auditRows('admin.user_disabled', admin.id)).toHaveLength(0);
    expectEnvelope(await api(server.url, 'GET', '/api/user/me', { apiKey: key }), 403, 'ACCOUNT_DISABLED');
    expectEnvelope(await api(server.url, 'GET', '/api/user/me', { cookie: victim.cookie }), 401, 'INVALID_TOKEN');
    expectEnvelope(await api(server.url, 'POST', '/api/auth/sign-in/email', { body: { email: victim.email, password: PASSWORD } }), 403, 'ACCOUNT_DISABLED');

    expectEnvelope(await api(server.url, 'POST', `/api/admin/users/${victim.id}/enable`, { cookie: admin.cookie }), 200, 'OK');
    expect(await auditRows('admin.user_enabled', victim.id)).toMatchObject([{ actor_type: 'user', actor_id: admin.id, user_id: victim.id }]);
    expectEnvelope(await api(server.url, 'GET', '/api/user/me', { apiKey: key }), 200, 'OK');

    const seen = mailsTo(smtp, victim.email, RESET_SUBJECT).length;
    const cookie = await signIn(server.url, victim.email, PASSWORD);
    const forced = await api(server.url, 'POST', `/api/admin/users/${victim.id}/force-password-reset`, { cookie: admin.cookie });
    expectEnvelope(forced, 200, 'OK');
    expectEnvelope(await api(server.url, 'GET', '/api/user/me', { cookie }), 401, 'INVALID_TOKEN');
    expectEnvelope(await api(server.url, 'POST', '/api/auth/sign-in/email', { body: { email: victim.email, password: PASSWORD } }), 401, 'INVALID_CREDENTIALS');
    await nextMail(smtp, victim.email, RESET_SUBJECT, seen);
    const forcedRows = await auditRows('admin.password_reset_forced', victim.id);
    expect(forcedRows).toMatchObject([{ actor_type: 'user', actor_id: admin.id, user_id: victim.id }]);
    expect(forcedRows[0]!.detail).not.toMatch(/password_hash|argon/);

    const revoked = await grant(admin.email, 'revoke');
    expect(revoked.status, revoked.stderr).toBe(0);
    expect(await auditRows('admin.revoked', admin.id)).toMatchObject([{ actor_type: 'anonymous', user_id: admin.id }]);
    expectEnvelope(await api(server.url, 'GET', '/api/admin/users', { cookie: admin.cookie }), 403, 'FORBIDDEN');
  });
});
