// test-dialects: sqlite — pages are the same on both databases; their API runs on both in console-http and the route tests
/**
 * The web console in Debian's Chromium (issue 17): a person signs up, verifies through the mailed
 * link, signs in, makes a key with two scopes, reads it once, uses it with fetch, revokes it in
 * the page; team keys; sessions; an admin disabling an account; email change; re-authentication.
 * Every page visited is checked by axe, must raise no CSP violation, and is photographed.
 * One browser for the file (Chromium is slow on two shared cores), one context per person.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { email, newKey, newUser, PASSWORD, SERVER_FLAGS, SERVER_MAIN, startServer, startSmtp, type RunningServer, type SmtpCatcher } from './harness.js';
import { api, expectEnvelope, expectNoServerErrors, linkOf, nextMail, RESET_SUBJECT, VERIFY_SUBJECT } from './support.js';
import { check, launchBrowser, newPerson, visit, type Person } from './browser.js';
import { joinOrg, orgPath } from './tenancy-support.js';
import { startReceiver } from './webhook-receiver.js';

let server: RunningServer;
let smtp: SmtpCatcher;
let browser: Browser;

beforeAll(async () => {
  smtp = await startSmtp();
  // One after the other: both at once on two busy cores can miss the server's start timeout.
  server = await startServer({ SMTP_URL: smtp.url, ACCT_TEST_CLOCK: '1', NODE_ENV: 'test', ACCT_WEBHOOKS_ALLOW_PRIVATE: 'true', ACCT_WEBHOOK_POLL_MS: '100' });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  if (server) {
    expectNoServerErrors(server);
    await server.stop();
  }
  await smtp?.close();
});

/** True for a PAT / team key shape, without ever printing the secret in a failure. */
const isSecret = (value: string, prefix: 'ba_' | 'bt_') => value.startsWith(prefix) && value.length >= 33;

/** Status of GET /api/user/me called with `key` by the page's own fetch. */
async function meStatus(person: Person, key: string): Promise<{ status: number; code: string }> {
  return person.page.evaluate(async (k) => {
    const res = await fetch('/api/user/me', { headers: { 'X-Api-Key': k }, credentials: 'omit' });
    return { status: res.status, code: (await res.json()).code as string };
  }, key);
}

async function signInPage(person: Person, address: string, password = PASSWORD): Promise<void> {
  await person.page.goto('/sign-in');
  await person.page.getByLabel('Email').fill(address);
  await person.page.getByLabel('Password').fill(password);
  await person.page.getByRole('button', { name: 'Sign in' }).click();
  await person.page.waitForURL(/\/settings\/profile/);
}

/** `acct-server admin grant EMAIL` against the test server's data dir and database. */
async function grantAdmin(address: string): Promise<void> {
  const { stdout } = await promisify(execFile)(process.execPath, [...SERVER_FLAGS, SERVER_MAIN, 'admin', 'grant', address], {
    env: { PATH: process.env['PATH'] ?? '', ACCT_DATA_DIR: server.dataDir, ...(server.databaseUrl ? { DATABASE_URL: server.databaseUrl } : {}) },
    encoding: 'utf8',
  });
  expect(stdout).toContain('is now a platform admin');
}

// Chromium, axe and two screenshots per page are slow on two shared cores.
describe('a person in Chromium', { timeout: 300_000 }, () => {
  it('signs up, verifies through the mailed link, signs in, makes a key with two scopes, reads it once, uses it, revokes it', async () => {
    const person = await newPerson(browser, server.url);
    const { page } = person;
    const address = email('browser');

    await visit(person, '/sign-up', 'sign-up');
    await page.getByLabel('Name').fill('Ada Browser');
    await page.getByLabel('Email').fill(address);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: 'Check your email' }).first().waitFor();
    await check(person, 'sign-up-done');

    // The mailed link, opened in the browser, lands on the console's confirmation page.
    const link = linkOf(await nextMail(smtp, address, VERIFY_SUBJECT));
    await page.goto(link.toString());
    expect(new URL(page.url()).pathname).toBe('/verify-email');
    await check(person, 'verify-email');
    await page.getByRole('button', { name: 'Verify email' }).click();
    await page.getByRole('heading', { name: 'Email verified' }).first().waitFor();

    await visit(person, '/sign-in', 'sign-in');
    await signInPage(person, address);
    await check(person, 'settings-profile');
    await page.getByText('verified', { exact: true }).first().waitFor();

    await visit(person, '/settings/api-keys', 'settings-api-keys');
    await page.getByLabel('Name', { exact: true }).fill('CI deploy');
    await page.getByRole('checkbox', { name: /^user:read/ }).check();
    await page.getByRole('checkbox', { name: /^projects:read/ }).check();
    await page.getByRole('button', { name: 'Create key' }).click();
    const key = (await page.locator('#new-key').textContent())?.trim() ?? '';
    expect(isSecret(key, 'ba_')).toBe(true);
    await check(person, 'settings-api-key-created');
    // Shown once: the list shows only its start, and no later page has it.
    await page.goto('/settings/api-keys');
    expect((await page.content()).includes(key)).toBe(false);
    const row = page.getByRole('row', { name: /CI deploy/ });
    await row.waitFor();
    expect(await row.textContent()).toContain('user:read');
    expect(await row.textContent()).toContain('projects:read');
    expect(await row.textContent()).toContain(key.slice(0, 7));

    expect(await meStatus(person, key)).toEqual({ status: 200, code: 'OK' });
    await row.getByRole('button', { name: 'Revoke' }).click();
    await page.getByText('The key is revoked').first().waitFor();
    expect(await meStatus(person, key)).toEqual({ status: 401, code: 'INVALID_TOKEN' });
    await check(person, 'settings-api-key-revoked');
    await person.context.close();
  });

  it('makes a team and a team key in the organization page, uses it, and revokes it', async () => {
    const owner = await newUser(server.url, 'team-owner');
    const person = await newPerson(browser, server.url);
    const { page } = person;
    await signInPage(person, owner.email);
    await visit(person, '/orgs', 'orgs');
    await page.getByRole('link', { name: /organization/ }).first().click();
    await page.waitForURL(/\/orgs\/[^/]+$/);
    await page.getByLabel('Project name').fill('Website');
    await page.getByRole('button', { name: 'Create project' }).click();
    await page.getByText('Project created.').first().waitFor();
    await page.getByLabel('Team name').fill('Deploy');
    await page.getByRole('button', { name: 'Create team' }).click();
    await page.getByText('Team created.').first().waitFor();
    await check(person, 'org');

    await page.getByText('New key for Deploy').click();
    const form = page.locator('form[action$="/keys"]');
    await form.getByLabel('Name').fill('intake bot');
    await form.getByRole('checkbox', { name: /^intake:write/ }).check();
    await form.getByRole('button', { name: 'Create key' }).click();
    const key = (await page.locator('#new-key').textContent())?.trim() ?? '';
    expect(isSecret(key, 'bt_')).toBe(true);
    await check(person, 'org-team-key-created');

    const teamId = /\/teams\/([^/]+)\/keys/.exec((await page.locator('form[action$="/keys"]').getAttribute('action')) ?? '')?.[1] ?? '';
    const send = () => page.evaluate(async ([k, t]) => {
      const res = await fetch(`/api/intake/${t}`, { method: 'POST', headers: { Authorization: `Bearer ${k}`, 'Content-Type': 'application/json' }, body: '{"event":"deployed"}', credentials: 'omit' });
      return res.status;
    }, [key, teamId] as const);
    expect(await send()).toBeLessThan(300);
    await page.getByRole('row', { name: /intake bot/ }).getByRole('button', { name: 'Revoke' }).click();
    await page.getByText('The team key is revoked').first().waitFor();
    expect(await send()).toBe(401);
    await person.context.close();
  });

  it('marks this device among the sessions and revokes another one, which is signed out at once', async () => {
    const user = await newUser(server.url, 'sessions');
    const [here, there] = await Promise.all([newPerson(browser, server.url), newPerson(browser, server.url)]);
    await signInPage(here, user.email);
    await signInPage(there, user.email);
    await visit(here, '/settings/sessions', 'settings-sessions');
    const rows = here.page.getByRole('row').filter({ hasText: 'This device' });
    expect(await rows.count()).toBe(1);
    // The harness's own sign-in (newUser) and the other browser: two others, each revocable.
    const others = here.page.getByRole('button', { name: /^Revoke session/ });
    expect(await others.count()).toBe(2);
    await others.first().click();
    await here.page.getByText('The session is signed out.').first().waitFor();
    await here.page.getByRole('button', { name: 'Sign out all other sessions' }).click();
    await here.page.getByText('Every other session is signed out.').first().waitFor();
    await there.page.goto('/settings/profile');
    expect(new URL(there.page.url()).pathname).toBe('/sign-in');
    expectEnvelope(await api(server.url, 'GET', '/api/user/me', { cookie: user.cookie }), 401, 'INVALID_TOKEN');
    await here.context.close();
    await there.context.close();
  });

  it("lets a platform admin disable an account: that user's key stops at once, and enabling brings it back", async () => {
    const [admin, victim] = await Promise.all([newUser(server.url, 'admin'), newUser(server.url, 'victim')]);
    await grantAdmin(admin.email);
    const { key } = await newKey(server.url, victim.cookie, ['user:read']);
    const person = await newPerson(browser, server.url);
    const { page } = person;
    await signInPage(person, admin.email);
    await page.getByRole('link', { name: 'Admin' }).click();
    await page.waitForURL(/\/admin/);
    await page.getByLabel('Search accounts').fill(victim.email);
    await page.getByRole('button', { name: 'Search' }).click();
    await check(person, 'admin');
    expect(await meStatus(person, key)).toEqual({ status: 200, code: 'OK' });
    await page.getByRole('button', { name: `Disable ${victim.email}` }).click();
    await page.getByText('The account is disabled').first().waitFor();
    expect(await meStatus(person, key)).toEqual({ status: 403, code: 'ACCOUNT_DISABLED' });
    expectEnvelope(await api(server.url, 'GET', '/api/user/me', { cookie: victim.cookie }), 401, 'INVALID_TOKEN');
    await page.getByRole('button', { name: `Enable ${victim.email}` }).click();
    await page.getByText('The account is enabled again').first().waitFor();
    expect(await meStatus(person, key)).toEqual({ status: 200, code: 'OK' });
    // Someone who is not an admin is refused the page.
    const other = await newPerson(browser, server.url);
    await signInPage(other, victim.email);
    const res = await other.page.goto('/admin');
    expect(res?.status()).toBe(403);
    await check(other, 'admin-refused');
    await other.context.close();
    await person.context.close();
  });

  it('changes the email with a link to the new address and a notice to the old one', async () => {
    const user = await newUser(server.url, 'mover');
    const person = await newPerson(browser, server.url);
    const { page } = person;
    await signInPage(person, user.email);
    const next = email('moved');
    await page.getByLabel('New email').fill(next);
    await page.locator('#f-email-password').fill('not the password');
    await page.getByRole('button', { name: 'Change email' }).click();
    await page.getByText('The current password is not right').first().waitFor();
    await check(person, 'settings-profile-error');
    await page.locator('#f-email-password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Change email' }).click();
    await page.getByText('Check your new address').first().waitFor();
    await nextMail(smtp, user.email, /being changed/);
    await page.goto(linkOf(await nextMail(smtp, next, /confirm your new email/i)).toString());
    await check(person, 'confirm-email');
    await page.getByRole('button', { name: 'Confirm new email' }).click();
    await page.getByRole('heading', { name: 'Email changed' }).first().waitFor();
    const me = await api(server.url, 'GET', '/api/user/me', { cookie: user.cookie });
    expect(me.body.data.email).toBe(next);
    await person.context.close();
  });

  it('asks for the password again before creating a key when the session is older than ten minutes', async () => {
    const user = await newUser(server.url, 'stale');
    const person = await newPerson(browser, server.url);
    const { page } = person;
    await signInPage(person, user.email);
    const clock = await api(server.url, 'GET', '/healthz');
    expect(clock.status).toBe(200);
    const moved = await fetch(`${server.url}/__test/clock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ offsetSeconds: 11 * 60 }) });
    expect(moved.status).toBe(200);
    await page.goto('/settings/api-keys');
    await page.getByText('confirm your password').first().waitFor();
    await page.getByLabel('Name', { exact: true }).fill('late key');
    await page.getByRole('checkbox', { name: /^user:read/ }).check();
    await page.getByRole('button', { name: 'Create key' }).click();
    await page.waitForURL(/\/reauthenticate/);
    await check(person, 'reauthenticate');
    await page.getByLabel('Password').fill('wrong password here');
    await page.getByRole('button', { name: 'Confirm password' }).click();
    await page.getByText('The password is not right').first().waitFor();
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Confirm password' }).click();
    await page.waitForURL(/\/settings\/api-keys/);
    await page.getByLabel('Name', { exact: true }).fill('late key');
    await page.getByRole('checkbox', { name: /^user:read/ }).check();
    await page.getByRole('button', { name: 'Create key' }).click();
    expect(isSecret((await page.locator('#new-key').textContent())?.trim() ?? '', 'ba_')).toBe(true);
    await person.context.close();
  });

  it('resets a forgotten password through the mailed link; every other page passes axe and the CSP', async () => {
    const user = await newUser(server.url, 'forgetful');
    const person = await newPerson(browser, server.url);
    const { page } = person;
    await visit(person, '/forgot-password', 'forgot-password');
    await page.getByLabel('Email').fill(user.email);
    await page.getByRole('button', { name: 'Send reset link' }).click();
    await page.getByText('a reset link is on its way').first().waitFor();
    await page.goto(linkOf(await nextMail(smtp, user.email, RESET_SUBJECT)).toString());
    expect(new URL(page.url()).pathname).toBe('/reset-password');
    await check(person, 'reset-password');
    await page.getByLabel('New password').fill('another-long-passphrase-2');
    await page.getByRole('button', { name: 'Set password' }).click();
    await page.getByRole('heading', { name: 'Password changed' }).first().waitFor();
    await signInPage(person, user.email, 'another-long-passphrase-2');
    await visit(person, '/docs', 'docs');
    await visit(person, '/docs/api', 'docs-api');
    await visit(person, '/docs/tenancy', 'docs-guide');
    await page.emulateMedia({ colorScheme: 'dark' });
    await visit(person, '/settings/profile', 'settings-profile-dark');
    await person.context.close();
  });

  it('revokes a pending invitation and shows the balance the API answers, with and without JavaScript', async () => {
    const owner = await newUser(server.url, 'inv-owner');
    const path = orgPath(owner.organizationId);
    const invite = async (label: string) => {
      const res = await api(server.url, 'POST', `${path}/members`, { cookie: owner.cookie, body: { email: email(label), role: 'member' } });
      expect(res.status).toBe(201);
      return res.body.data as { id: string; email: string };
    };
    const [first, second] = [await invite('invitee-js'), await invite('invitee-nojs')];
    expect((await api(server.url, 'POST', `${path}/payments`, { cookie: owner.cookie, body: { amount: 250 }, headers: { 'idempotency-key': `b-${owner.id}` } })).status).toBe(201);
    const balance = (await api(server.url, 'GET', `${path}/subscription`, { cookie: owner.cookie })).body.data.creditBalance as number;

    const person = await newPerson(browser, server.url);
    const { page } = person;
    await signInPage(person, owner.email);
    await visit(person, `/orgs/${owner.organizationId}`, 'org-invitations');
    expect(await page.locator('#credit-balance').textContent()).toBe(String(balance));
    // console.js asks first (the dialog is accepted by newPerson).
    await page.getByRole('button', { name: `Revoke the invitation of ${first.email}` }).click();
    await page.getByText('The invitation is revoked').first().waitFor();
    await check(person, 'org-invitation-revoked');
    expect(await page.getByRole('button', { name: `Revoke the invitation of ${first.email}` }).count()).toBe(0);

    // Without JavaScript the same button is a plain form post.
    const context = await browser.newContext({ baseURL: server.url, javaScriptEnabled: false });
    const bare = await context.newPage();
    await bare.goto('/sign-in');
    await bare.getByLabel('Email').fill(owner.email);
    await bare.getByLabel('Password').fill(PASSWORD);
    await bare.getByRole('button', { name: 'Sign in' }).click();
    await bare.waitForURL(/\/settings\/profile/);
    await bare.goto(`/orgs/${owner.organizationId}`);
    await bare.getByRole('button', { name: `Revoke the invitation of ${second.email}` }).click();
    await bare.getByText('The invitation is revoked').first().waitFor();
    await context.close();
    const revoked = await api(server.url, 'GET', `${path}/invitations?status=revoked`, { cookie: owner.cookie });
    expect(revoked.body.data.map((i: { id: string }) => i.id).sort()).toEqual([first.id, second.id].sort());
    await person.context.close();
  });

  it('creates a webhook, reads its secret once, sends a test event, sees the delivery, redelivers, rotates, disables and deletes it', async () => {
    const [owner, member] = await Promise.all([newUser(server.url, 'hook-owner'), newUser(server.url, 'hook-member')]);
    await joinOrg(server, smtp, owner, owner.organizationId, member, 'member');
    const receiver = await startReceiver();
    const person = await newPerson(browser, server.url);
    const { page } = person;
    try {
      await signInPage(person, owner.email);
      await page.goto(`/orgs/${owner.organizationId}`);
      await page.getByRole('navigation', { name: 'Organization' }).getByRole('link', { name: 'Webhooks' }).click();
      await page.waitForURL(/\/webhooks$/);
      await check(person, 'org-webhooks-empty');
      // A form error first: no event chosen.
      await page.getByLabel('URL').fill(receiver.url);
      await page.getByRole('button', { name: 'Create webhook' }).click();
      await page.locator('#f-events-error').waitFor();
      await check(person, 'org-webhooks-error');
      await page.getByLabel('Description').fill('Deploy notifications');
      await page.getByRole('checkbox', { name: /^project\.created/ }).check();
      await page.getByRole('checkbox', { name: /^webhook\.test/ }).check();
      await page.getByRole('button', { name: 'Create webhook' }).click();
      const secret = (await page.locator('#new-secret').textContent())?.trim() ?? '';
      expect(secret.startsWith('whsec_')).toBe(true);
      expect(await page.getByRole('button', { name: 'Copy' }).isVisible()).toBe(true);
      receiver.secrets.add(secret);
      await check(person, 'org-webhook-created');

      await page.getByRole('link', { name: receiver.url }).click();
      await page.waitForURL(/\/webhooks\/[^/]+$/);
      expect((await page.content()).includes(secret)).toBe(false);
      await page.getByRole('button', { name: 'Send test event' }).click();
      await page.getByText('A webhook.test event is queued').first().waitFor();
      await expect.poll(() => receiver.received.length, { timeout: 15_000 }).toBe(1);
      expect(receiver.received[0]!.verified).toBe(true);
      // The worker records the answer: reload until the delivery shows it.
      await expect.poll(async () => {
        await page.reload();
        return page.locator('td[data-label="Status code"]').first().textContent();
      }, { timeout: 15_000 }).toBe('200');
      expect(await page.locator('td[data-label="Duration"]').first().textContent()).toMatch(/^\d+ ms$/);
      await check(person, 'org-webhook');
      await page.getByRole('button', { name: /^Redeliver webhook\.test/ }).first().click();
      await page.getByText('The delivery is queued again').first().waitFor();
      await expect.poll(() => receiver.received.length, { timeout: 15_000 }).toBe(2);

      await page.getByRole('button', { name: 'Rotate secret' }).click();
      const next = (await page.locator('#new-secret').textContent())?.trim() ?? '';
      expect(next.startsWith('whsec_') && next !== secret).toBe(true);
      await check(person, 'org-webhook-rotated');
      await page.getByRole('button', { name: 'Disable' }).click();
      await page.getByText('The webhook is disabled').first().waitFor();
      await page.getByRole('button', { name: 'Enable' }).click();
      await page.getByText('The webhook is enabled').first().waitFor();

      // The audit log shows each change, newest first, and filters by action.
      await page.getByRole('navigation', { name: 'Organization' }).getByRole('link', { name: 'Audit log' }).click();
      await page.waitForURL(/\/audit-log/);
      const actions = await page.locator('td[data-label="Action"] code').allTextContents();
      expect(actions.slice(0, 5)).toEqual(['webhook.updated', 'webhook.updated', 'webhook.secret_rotated', 'webhook.redelivered', 'webhook.created']);
      await check(person, 'org-audit-log');
      await page.getByLabel('Action').fill('webhook.created');
      await page.getByRole('button', { name: 'Filter' }).click();
      await page.waitForURL(/action=webhook\.created/);
      expect(await page.locator('td[data-label="Action"] code').allTextContents()).toEqual(['webhook.created']);
      await page.getByLabel('Action').fill('not an action');
      await page.getByRole('button', { name: 'Filter' }).click();
      await page.locator('#f-action-error').waitFor();
      await check(person, 'org-audit-log-error');

      await page.goto(`/orgs/${owner.organizationId}/webhooks`);
      await page.getByRole('link', { name: receiver.url }).click();
      await page.getByRole('button', { name: 'Delete' }).click();
      await page.getByText('The webhook is deleted').first().waitFor();
      await check(person, 'org-webhooks-deleted');

      // A member sees neither page.
      const other = await newPerson(browser, server.url);
      await signInPage(other, member.email);
      await other.page.goto(`/orgs/${owner.organizationId}`);
      expect(await other.page.getByRole('navigation', { name: 'Organization' }).getByRole('link').allTextContents()).toEqual(['Overview']);
      expect((await other.page.goto(`/orgs/${owner.organizationId}/webhooks`))?.status()).toBe(403);
      await check(other, 'org-webhooks-refused');
      expect((await other.page.goto(`/orgs/${owner.organizationId}/audit-log`))?.status()).toBe(403);
      await other.context.close();
    } finally {
      await receiver.close();
      await person.context.close();
    }
  });

  it('serves the guides in the console layout: each new guide passes axe and the CSP', async () => {
    const person = await newPerson(browser, server.url);
    // The guides this file did not visit before (docs-guide is tenancy); the others render through the same page.
    for (const slug of ['quickstart', 'api-structure', 'errors', 'scopes', 'api-keys', 'projects']) {
      await visit(person, `/docs/${slug}`, `docs-${slug}`);
      expect(await person.page.getByRole('navigation', { name: 'Guides' }).locator('[aria-current="page"]').count(), slug).toBe(1);
    }
    await person.context.close();
  });
});
