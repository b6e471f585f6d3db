// test-dialects: sqlite — pages are the same on both databases; the grant logic runs on both in oauth-consent/oauth-clients
/**
 * The OAuth consent and /device pages in Debian's Chromium (issues 15 and 17): a signed-out
 * person is sent through the console's sign-in and lands back on the consent page; the page shows
 * the client, the redirect host, each scope in words, the resource, the organization picker and
 * the localhost warning; Allow brings the code to the app's redirect (and it exchanges), Deny
 * brings access_denied with iss; /device takes the user code, a wrong one is an error of the
 * field, and approving it lets the device's poll get tokens. Every page is checked by axe, must
 * raise no CSP violation, and is photographed. One browser for the file, one context per test.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { newUser, PASSWORD, startServer, type RunningServer, type TestUser } from './harness.js';
import { expectNoServerErrors } from './support.js';
import { check, launchBrowser, newPerson, type Person } from './browser.js';
import { pkce, register, tokenRequest } from './oauth-support.js';

let server: RunningServer;
let browser: Browser;
let app: http.Server;
let callbackBase: string;
let clientId: string;
let alice: TestUser;
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

beforeAll(async () => {
  // The app's redirect target: a loopback page (a native app's, RFC 8252), so the consent page warns.
  app = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><html lang="en"><title>App</title><h1>Back at the app</h1></html>'));
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  callbackBase = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
  server = await startServer();
  browser = await launchBrowser();
  alice = await newUser(server.url, 'alice');
  const reg = await register(server.url, { client_name: 'Desk Notes', redirect_uris: [`${callbackBase}/cb`], token_endpoint_auth_method: 'none' });
  expect(reg.status).toBe(201);
  clientId = reg.body.client_id;
});
afterAll(async () => {
  await browser?.close();
  if (server) {
    expectNoServerErrors(server);
    await server.stop();
  }
  await new Promise((r) => app?.close(r));
});

function authorizeUrl(challenge: string, extra: Record<string, string> = {}): string {
  const url = new URL('/oauth2/authorize', server.url);
  const params = {
    response_type: 'code', client_id: clientId, redirect_uri: `${callbackBase}/cb`, scope: 'user:read projects:read', state: 'st-browser',
    code_challenge: challenge, code_challenge_method: 'S256', resource: `${server.url}/api`, ...extra,
  };
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url.href;
}

async function signIn(person: Person, user: TestUser): Promise<void> {
  await person.page.getByLabel('Email').fill(user.email);
  await person.page.getByLabel('Password').fill(PASSWORD);
  await person.page.getByRole('button', { name: 'Sign in' }).click();
}

/** The query the app's redirect received, once the browser is there. */
async function arrivedAtApp(person: Person): Promise<URLSearchParams> {
  await person.page.waitForURL((url) => url.href.startsWith(`${callbackBase}/cb`));
  return new URL(person.page.url()).searchParams;
}

// Chromium, axe and two screenshots per page are slow on two shared cores.
describe('OAuth pages in Chromium', { timeout: 300_000 }, () => {
  it('a signed-out person signs in on the console and lands back on the consent page, which shows what is asked; Allow brings a working code to the app', async () => {
    const person = await newPerson(browser, server.url);
    const { page } = person;
    const { verifier, challenge } = pkce();
    await page.goto(authorizeUrl(challenge));
    await page.waitForURL(/\/sign-in\?return_to=/);
    expect(new URL(page.url()).searchParams.get('return_to')).toMatch(/^\/oauth\/consent\?response_type=code&/);
    await check(person, 'oauth-sign-in');
    await signIn(person, alice);

    await page.waitForURL(/\/oauth\/consent\?/);
    await page.getByRole('heading', { name: 'Allow Desk Notes to use your account?' }).waitFor();
    const text = await page.locator('main').innerText();
    expect(text).toContain(clientId);
    expect(text).toContain(`sent to 127.0.0.1`);
    expect(text).toContain('Read your profile');
    expect(text).toContain('List and read projects');
    expect(text).toContain(`${server.url}/api`);
    await expect(page.getByRole('status').filter({ hasText: 'only returns to localhost' }).count()).resolves.toBe(1);
    const picker = page.getByLabel('Organization');
    await expect(picker.locator('option').allInnerTexts()).resolves.toEqual(['Any of my organizations', expect.stringMatching(/^Only /)]);
    await check(person, 'oauth-consent');

    // Limit the grant to Alice's organization, then Allow: the code reaches the app and exchanges.
    await picker.selectOption(alice.organizationId);
    await page.getByRole('button', { name: 'Allow' }).click();
    const answer = await arrivedAtApp(person);
    expect(answer.get('state')).toBe('st-browser');
    expect(answer.get('iss')).toBe(server.url);
    const tokens = await tokenRequest(server.url, { grant_type: 'authorization_code', code: answer.get('code')!, redirect_uri: `${callbackBase}/cb`, code_verifier: verifier, client_id: clientId });
    expect(tokens.status).toBe(200);
    expect(tokens.body.access_token).toMatch(/^bo_/);
    expect(tokens.body.scope.split(' ').sort()).toEqual(['projects:read', 'user:read']);
    // The organization picked in the page is the grant's pin.
    const grants = await fetch(`${server.url}/api/user/oauth/grants`, { headers: { cookie: alice.cookie } });
    const grant = ((await grants.json()) as { data: { clientId: string; organizationId: string | null; resource: string | null }[] }).data.find((g) => g.clientId === clientId);
    expect(grant).toMatchObject({ organizationId: alice.organizationId, resource: `${server.url}/api` });
    expect(person.problems).toEqual([]);
    await person.context.close();
  });

  it('Deny sends access_denied with iss and state to the app, and no code', async () => {
    const person = await newPerson(browser, server.url);
    const { page } = person;
    await page.goto(authorizeUrl(pkce().challenge, { prompt: 'consent', state: 'st-deny' }));
    await signIn(person, alice);
    await page.getByRole('button', { name: 'Deny' }).click();
    const answer = await arrivedAtApp(person);
    expect(answer.get('error')).toBe('access_denied');
    expect(answer.get('iss')).toBe(server.url);
    expect(answer.get('state')).toBe('st-deny');
    expect(answer.get('code')).toBeNull();
    expect(person.problems).toEqual([]);
    await person.context.close();
  });

  it('/device: a wrong code is an error of the Code field; the right one shows the consent, and Allow lets the device poll get tokens', async () => {
    const started = await fetch(`${server.url}/oauth2/device_authorization`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ client_id: 'acct-cli', scope: 'user:read organizations:read' }).toString(),
    });
    expect(started.status).toBe(200);
    const device = (await started.json()) as { device_code: string; user_code: string; verification_uri: string };
    const poll = () => tokenRequest(server.url, { grant_type: DEVICE_GRANT, device_code: device.device_code, client_id: 'acct-cli' });
    expect((await poll()).body.error).toBe('authorization_pending');

    const person = await newPerson(browser, server.url);
    const { page } = person;
    await page.goto(device.verification_uri);
    await page.waitForURL(/\/sign-in\?return_to=%2Fdevice/);
    await signIn(person, alice);
    await page.waitForURL(/\/device$/);
    await page.getByRole('heading', { name: 'Connect a device' }).waitFor();
    await check(person, 'device-code');

    // A code nobody asked for (the right shape, built here): the field says so.
    const wrong = device.user_code === 'BBBB-BBBB' ? 'CCCC-CCCC' : 'BBBB-BBBB';
    await page.getByLabel('Code').fill(wrong);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('alert').waitFor();
    const field = page.getByLabel('Code');
    await expect(field.getAttribute('aria-invalid')).resolves.toBe('true');
    const describedBy = (await field.getAttribute('aria-describedby')) ?? '';
    const errorId = describedBy.split(' ').find((id) => id.endsWith('-error'));
    expect(errorId).toBeDefined();
    await expect(page.locator(`#${errorId}`).innerText()).resolves.toContain('That code is unknown, expired or already used');
    await expect(field.inputValue()).resolves.toBe(wrong);
    await check(person, 'device-code-error');

    await field.fill(device.user_code.toLowerCase());
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'Allow acct CLI to use your account?' }).waitFor();
    const text = await page.locator('main').innerText();
    expect(text).toContain('another device');
    // The device flow sends the answer nowhere: no warning about where it goes.
    expect(text).not.toContain('only returns to localhost');
    expect(text).toContain('Read your profile');
    expect(text).toContain('List your organizations');
    await check(person, 'device-consent');
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.getByRole('heading', { name: 'Device connected' }).waitFor();
    await check(person, 'device-connected');

    const tokens = await poll();
    expect(tokens.status).toBe(200);
    expect(tokens.body.access_token).toMatch(/^bo_/);
    expect(tokens.body.refresh_token).toMatch(/^br_/);
    const me = await fetch(`${server.url}/api/user/me`, { headers: { authorization: `Bearer ${tokens.body.access_token}` } });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { data: { email: string } }).data.email).toBe(alice.email);
    expect(person.problems).toEqual([]);
    await person.context.close();
  });
});
