import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { email, PASSWORD, startServer, startSmtp, type ApiResponse, type CaughtMail, type RunningServer, type SmtpCatcher } from './harness.js';
import { expectEnvelope, expectNoServerErrors, tokenOf } from './support.js';
import { advance, expectLimited, from, limitedServer, signInFrom, signUpFrom, startOfWindow } from './rate-limits.fixtures.js';

const WRONG = 'not-the-password-at-all';
const NEW_PASSWORD = 'a-brand-new-long-passphrase';

/** The `name=value` of the device cookie a successful sign-in set. */
function deviceCookieOf(res: ApiResponse): string {
  const set = res.headers.getSetCookie().find((c) => /^(__Host-)?acct_device_/.test(c));
  expect(set, `a device cookie in ${JSON.stringify(res.headers.getSetCookie())}`).toBeDefined();
  return set!.split(';')[0]!;
}

function signInWith(server: RunningServer, ip: string | null, address: string, password: string, cookie: string): Promise<ApiResponse> {
  return from(ip, server, 'POST', '/api/auth/sign-in/email', { body: { email: address, password }, cookie });
}

/** Answers of a batch by status. */
function tally(responses: ApiResponse[]): Map<number, number> {
  const statuses = new Map<number, number>();
  for (const res of responses) statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
  return statuses;
}

/** Each 401 ran a password check; everything else must be a 429 with its headers. */
function checksOf(responses: ApiResponse[]): number {
  for (const res of responses) if (res.status !== 401) expectLimited(res);
  for (const res of responses) if (res.status === 401) expectEnvelope(res, 401, 'INVALID_CREDENTIALS');
  return tally(responses).get(401) ?? 0;
}

async function mailsTo(smtp: SmtpCatcher, address: string, count: number): Promise<CaughtMail[]> {
  for (let i = 0; i < 400; i++) {
    const mails = smtp.mails.filter((m) => m.to.includes(address) && /Reset/.test(m.subject));
    if (mails.length >= count) return mails;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`fewer than ${count} reset mails to ${address}`);
}

describe('an attacker cannot lock the owner out (device cookies)', () => {
  let smtp: SmtpCatcher;
  let server: RunningServer;
  beforeAll(async () => {
    smtp = await startSmtp();
    // The built-in limits: sign-in 3 / 10 s per address and 10 / 300 s per email, lockout 5 per address, 20 per account, block at 100.
    server = await limitedServer(null, { TRUST_PROXY: 'true', SMTP_URL: smtp.url });
  });
  afterAll(async () => {
    expectNoServerErrors(server);
    await server.stop();
    await smtp.close();
  });

  it('1,000 failures for alice from 50 addresses leave her known device signing in at once, and her reset mail still arrives', async () => {
    const alice = await signUpFrom(server, '10.40.0.1', email('alice'));
    const laptop = deviceCookieOf(await signInFrom(server, '10.40.0.1', alice, PASSWORD));

    // The attack: 20 rounds of 50 wrong passwords from 50 addresses, cookie sign-in and bearer login alike,
    // upper-cased email too; each round in a fresh 300-second window of the per-email budget.
    await startOfWindow([server], 300);
    let checks = 0;
    for (let round = 0; round < 20; round++) {
      const batch = await Promise.all(Array.from({ length: 50 }, (_, i) => {
        const ip = `203.0.113.${i + 1}`;
        const address = i % 3 === 0 ? alice.toUpperCase() : alice;
        return i % 2 === 0
          ? signInFrom(server, ip, address, `${WRONG}-${round}-${i}`)
          : from(ip, server, 'POST', '/api/auth/login', { body: { email: address, password: `${WRONG}-${round}-${i}` } });
      }));
      const inRound = checksOf(batch);
      // Unknown clients are throttled at today's rates: at most 10 password checks per email per 300 s.
      expect(inRound).toBeLessThanOrEqual(10);
      checks += inRound;
      if (round < 19) await advance(server, 301);
    }
    expect(checks).toBeGreaterThan(0);

    // A stranger's client is still refused, even with the right password…
    expectLimited(await signInFrom(server, '10.40.0.2', alice, PASSWORD));
    // …but alice's laptop signs in at once: from home, from elsewhere, by bearer login, upper-cased.
    expectEnvelope(await signInWith(server, '10.40.0.1', alice, PASSWORD, laptop), 200, 'OK');
    expectEnvelope(await signInWith(server, '198.51.100.7', alice.toUpperCase(), PASSWORD, laptop), 200, 'OK');
    const bearer = await from('198.51.100.8', server, 'POST', '/api/auth/login', { body: { email: alice, password: PASSWORD }, cookie: laptop });
    expectEnvelope(bearer, 200, 'OK');
    expect(deviceCookieOf(bearer).split('=')[0]).toBe(laptop.split('=')[0]);

    // The attacker asks for resets from four addresses until each is refused: the owner's budget is untouched.
    const before = smtp.mails.filter((m) => m.to.includes(alice) && /Reset/.test(m.subject)).length;
    for (const ip of ['203.0.113.1', '203.0.113.2', '203.0.113.3', '203.0.113.4']) {
      for (let i = 0; i < 3; i++) expectEnvelope(await from(ip, server, 'POST', '/api/auth/request-password-reset', { body: { email: alice } }), 200, 'OK');
      expectLimited(await from(ip, server, 'POST', '/api/auth/request-password-reset', { body: { email: alice } }));
    }
    await mailsTo(smtp, alice, before + 12);
    expectEnvelope(await from('10.40.0.1', server, 'POST', '/api/auth/request-password-reset', { body: { email: alice }, cookie: laptop }), 200, 'OK');
    const mails = await mailsTo(smtp, alice, before + 13);
    // Her mail is the newest, and its link works.
    expectEnvelope(await from('10.40.0.1', server, 'POST', '/api/auth/reset-password', { body: { token: tokenOf(mails.at(-1)!), newPassword: NEW_PASSWORD } }), 200, 'OK');
    expectEnvelope(await signInWith(server, '10.40.0.1', alice, NEW_PASSWORD, laptop), 200, 'OK');
  }, 240_000);

  it('a client without a device cookie still gets its reset mail from its own address while others spend theirs', async () => {
    const owner = await signUpFrom(server, '10.41.0.1', email('reset-owner'));
    await startOfWindow([server], 3600);
    for (const ip of ['203.0.114.1', '203.0.114.2']) for (let i = 0; i < 4; i++) await from(ip, server, 'POST', '/api/auth/request-password-reset', { body: { email: owner } });
    const before = (await mailsTo(smtp, owner, 6)).length;
    expectEnvelope(await from('10.41.0.1', server, 'POST', '/api/auth/request-password-reset', { body: { email: owner } }), 200, 'OK');
    await mailsTo(smtp, owner, before + 1);
  });

  it('failures with a known device count only against that device, and never against the account', async () => {
    const address = await signUpFrom(server, '10.42.0.1', email('own-failures'));
    const device = deviceCookieOf(await signInFrom(server, '10.42.0.1', address, PASSWORD));
    await startOfWindow([server], 300);
    // Five failures are free, the sixth attempt from the device waits (the per-address policy, 300 s)…
    for (let i = 0; i < 5; i++) expectEnvelope(await signInWith(server, `10.42.1.${i}`, address, WRONG, device), 401, 'INVALID_CREDENTIALS');
    const locked = await signInWith(server, '10.42.2.1', address, PASSWORD, device);
    expect(expectLimited(locked)).toBe(300);
    expect(locked.body.message).toMatch(/from this device/);
    // …while a stranger's address and the per-email budget are untouched by the device's failures.
    expectEnvelope(await signInFrom(server, '10.42.3.1', address, PASSWORD), 200, 'OK');
    await advance(server, 301);
    expectEnvelope(await signInWith(server, '10.42.2.1', address, PASSWORD, device), 200, 'OK');
  });

  it('a password reset forgets a known device\'s own failures too', async () => {
    const address = await signUpFrom(server, '10.47.0.1', email('device-reset'));
    const device = deviceCookieOf(await signInFrom(server, '10.47.0.1', address, PASSWORD));
    for (let i = 0; i < 5; i++) expectEnvelope(await signInWith(server, `10.47.1.${i}`, address, WRONG, device), 401, 'INVALID_CREDENTIALS');
    expectLimited(await signInWith(server, '10.47.2.1', address, PASSWORD, device));
    const before = smtp.mails.filter((m) => m.to.includes(address) && /Reset/.test(m.subject)).length;
    expectEnvelope(await from('10.47.0.1', server, 'POST', '/api/auth/request-password-reset', { body: { email: address }, cookie: device }), 200, 'OK');
    const mails = await mailsTo(smtp, address, before + 1);
    expectEnvelope(await from('10.47.0.1', server, 'POST', '/api/auth/reset-password', { body: { token: tokenOf(mails.at(-1)!), newPassword: NEW_PASSWORD } }), 200, 'OK');
    expectEnvelope(await signInWith(server, '10.47.2.2', address, NEW_PASSWORD, device), 200, 'OK');
  });

  it('a tampered cookie, another account\'s cookie or a cookie from another server is an unknown client', async () => {
    const victim = await signUpFrom(server, '10.43.0.1', email('victim'));
    const mallory = await signUpFrom(server, '10.43.0.2', email('mallory'));
    const genuine = deviceCookieOf(await signInFrom(server, '10.43.0.1', victim, PASSWORD));
    const own = deviceCookieOf(await signInFrom(server, '10.43.0.2', mallory, PASSWORD));
    const other = await startServer({ NODE_ENV: 'test' });
    let foreign: string;
    try {
      const address = await signUpFrom(other, null, victim);
      foreign = deviceCookieOf(await signInFrom(other, null, address, PASSWORD));
    } finally {
      await other.stop();
    }
    const [name, value] = genuine.split('=') as [string, string];
    // The first character, not the last: the last of a base64url signature carries two unused bits,
    // so 'A' → 'B' there decodes to the same bytes and left a genuine cookie (one run in 16).
    const flipped = `${name}=${value.startsWith('A') ? 'B' : 'A'}${value.slice(1)}`;
    const renamed = `${own.split('=')[0]}=${value}`;
    const aged = `${name}=${value.replace(/\.(\d+)\./, (_, t: string) => `.${Number(t) + 1}.`)}`;
    await startOfWindow([server], 300);
    // Ten failures use up the per-email budget of unknown clients; each bad cookie is one of them.
    for (const [i, cookie] of [flipped, renamed, aged, own, foreign!, 'acct_device_x=garbage', '', flipped, own, foreign!].entries())
      expectEnvelope(await signInWith(server, `10.43.1.${i}`, victim, WRONG, cookie), 401, 'INVALID_CREDENTIALS');
    for (const [i, cookie] of [flipped, renamed, aged, own, foreign!].entries()) expectLimited(await signInWith(server, `10.43.2.${i}`, victim, PASSWORD, cookie));
    expectEnvelope(await signInWith(server, '10.43.3.1', victim, PASSWORD, genuine), 200, 'OK');
  });

  it('the device cookie is HttpOnly, SameSite=Lax and long-lived, set after the session cookie, and never in a body', async () => {
    const address = await signUpFrom(server, '10.44.0.1', email('cookie'));
    const res = await signInFrom(server, '10.44.0.1', address, PASSWORD);
    const [session, device] = res.headers.getSetCookie();
    expect(session).toMatch(/^acct_session=/);
    expect(device).toMatch(/^acct_device_[\w-]{16}=[\w-]{22}\.\d+\.[\w-]{43}; Path=\/; HttpOnly; SameSite=Lax; Max-Age=34560000$/);
    expect(res.text).not.toContain(device!.split(';')[0]!.split('=')[1]!);
  });
});

describe('device cookies across instances and over HTTPS', () => {
  const started: RunningServer[] = [];
  afterAll(async () => {
    for (const s of started) expectNoServerErrors(s);
    await Promise.all(started.map((s) => s.stop()));
  });
  const LIMITS = { defaults: false, endpoints: { signIn: { email: { limit: 2, windowSeconds: 3600 } } } };

  it('instances sharing one database accept each other\'s device cookies', async () => {
    const a = await limitedServer(LIMITS, { TRUST_PROXY: 'true' });
    started.push(a);
    const b = await startServer({ NODE_ENV: 'test', ACCT_TEST_CLOCK: '1', ACCT_RATE_LIMITS: JSON.stringify(LIMITS), TRUST_PROXY: 'true' }, a.dataDir);
    started.push(b);
    const address = await signUpFrom(a, null, email('shared'));
    const device = deviceCookieOf(await signInFrom(a, null, address, PASSWORD));
    await startOfWindow([a, b], 3600);
    for (let i = 0; i < 2; i++) await signInFrom(b, `10.45.0.${i}`, address, WRONG);
    expectLimited(await signInFrom(b, '10.45.1.1', address, PASSWORD));
    expectEnvelope(await signInWith(b, '10.45.1.1', address, PASSWORD, device), 200, 'OK');
  });

  it('ACCT_DEVICE_COOKIE_SECRET signs instead of the database\'s key: instances with the same secret accept each other\'s cookies; a short secret is refused', async () => {
    const secret = 'an-example-device-cookie-secret-of-40-chars';
    const env = { NODE_ENV: 'test', ACCT_TEST_CLOCK: '1', ACCT_RATE_LIMITS: JSON.stringify(LIMITS) };
    const plain = await limitedServer(LIMITS);
    started.push(plain);
    const [b, c] = await Promise.all([startServer({ ...env, ACCT_DEVICE_COOKIE_SECRET: secret }, plain.dataDir), startServer({ ...env, ACCT_DEVICE_COOKIE_SECRET: secret }, plain.dataDir)]);
    started.push(b, c);
    const address = await signUpFrom(plain, null, email('env-secret'));
    const fromPlain = deviceCookieOf(await signInFrom(plain, null, address, PASSWORD));
    const fromB = deviceCookieOf(await signInFrom(b, null, address, PASSWORD));
    expect(fromB.split('=')[0]).not.toBe(fromPlain.split('=')[0]);
    await startOfWindow([plain, b, c], 3600);
    for (const s of [plain, b, c]) {
      for (let i = 0; i < 2; i++) await signInFrom(s, null, address, WRONG);
      expectLimited(await signInFrom(s, null, address, PASSWORD));
    }
    expectLimited(await signInWith(b, null, address, PASSWORD, fromPlain));
    expectLimited(await signInWith(plain, null, address, PASSWORD, fromB));
    expectEnvelope(await signInWith(c, null, address, PASSWORD, fromB), 200, 'OK');
    await expect(startServer({ ACCT_DEVICE_COOKIE_SECRET: 'too-short' })).rejects.toThrow(/ACCT_DEVICE_COOKIE_SECRET must be at least 32 characters/);
  });

  it('over HTTPS the device cookie takes the __Host- prefix and Secure, and is honoured', async () => {
    const https = await startServer({ ACCT_BASE_URL: 'https://acct.example', NODE_ENV: 'test', ACCT_TEST_CLOCK: '1', ACCT_RATE_LIMITS: JSON.stringify(LIMITS) });
    started.push(https);
    const address = await signUpFrom(https, null, email('https'));
    const res = await signInFrom(https, null, address, PASSWORD);
    const set = res.headers.getSetCookie().find((c) => c.includes('acct_device_'));
    expect(set).toMatch(/^__Host-acct_device_[\w-]{16}=[^;]+; Path=\/; HttpOnly; SameSite=Lax; Secure; Max-Age=\d+$/);
    await startOfWindow([https], 3600);
    for (let i = 0; i < 2; i++) await signInFrom(https, null, address, WRONG);
    expectLimited(await signInFrom(https, null, address, PASSWORD));
    expectEnvelope(await signInWith(https, null, address, PASSWORD, deviceCookieOf(res)), 200, 'OK');
  });
});

describe('the lockout cannot be raced', () => {
  const started: RunningServer[] = [];
  afterAll(async () => {
    for (const s of started) expectNoServerErrors(s);
    await Promise.all(started.map((s) => s.stop()));
  });

  it('40 parallel wrong passwords from one address run at most 5 password checks (rate limits off, lockout on)', async () => {
    const off = await startServer({ ACCT_RATE_LIMITS: 'off', NODE_ENV: 'test', ACCT_TEST_CLOCK: '1' });
    started.push(off);
    const address = await signUpFrom(off, null, email('race'));
    const wrong = await Promise.all(Array.from({ length: 40 }, (_, i) => signInFrom(off, null, address, `${WRONG}-${i}`)));
    expect(checksOf(wrong)).toBe(5);
    // A known device races its own budget the same way.
    const other = await signUpFrom(off, null, email('race-device'));
    const device = deviceCookieOf(await signInFrom(off, null, other, PASSWORD));
    const fromDevice = await Promise.all(Array.from({ length: 40 }, (_, i) => signInWith(off, null, other, `${WRONG}-${i}`, device)));
    expect(checksOf(fromDevice)).toBe(5);
  });

  it('two instances of one database: 40 parallel wrong passwords from 40 addresses stop at the account\'s block (the failure counter in the database)', async () => {
    const limits = {
      defaults: false,
      lockout: { perIp: { freeFailures: 1000, delaySeconds: 1, maxDelaySeconds: 1 }, perAccount: { freeFailures: 1000, delaySeconds: 1, maxDelaySeconds: 1 }, blockAt: 10 },
    };
    const a = await limitedServer(limits, { TRUST_PROXY: 'true' });
    started.push(a);
    const b = await startServer({ NODE_ENV: 'test', ACCT_TEST_CLOCK: '1', ACCT_RATE_LIMITS: JSON.stringify(limits), TRUST_PROXY: 'true' }, a.dataDir);
    started.push(b);
    const address = await signUpFrom(a, null, email('race-block'));
    const wrong = await Promise.all(Array.from({ length: 40 }, (_, i) => signInFrom(i % 2 ? a : b, `10.46.0.${i}`, address, `${WRONG}-${i}`)));
    expect(checksOf(wrong)).toBe(10);
    const blocked = await signInFrom(a, '10.46.1.1', address, PASSWORD);
    expectLimited(blocked);
    expect(blocked.body.message).toMatch(/reset the password/);
  });
});
