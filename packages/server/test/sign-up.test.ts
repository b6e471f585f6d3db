/**
 * Sign-up rules (SECURITY "Passwords"): NIST lengths counted in code points, a blocklist of
 * common passwords and context words, no trimming; email and name checks; taken emails; and
 * sign-in refused to unverified users when the server requires verification.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { email, PASSWORD, startServer, startSmtp, type RunningServer, type SmtpCatcher } from './harness.js';
import { api, expectEnvelope, expectNoServerErrors, expectValidationError, nextMail, tokenOf, VERIFY_SUBJECT } from './support.js';

let server: RunningServer;
let strict: RunningServer;
let smtp: SmtpCatcher;

beforeAll(async () => {
  smtp = await startSmtp();
  [server, strict] = await Promise.all([
    startServer(),
    startServer({ SMTP_URL: smtp.url, ACCT_REQUIRE_EMAIL_VERIFICATION: 'true', ACCT_PASSWORD_MIN_LENGTH: '20' }),
  ]);
});
afterAll(async () => {
  expectNoServerErrors(server);
  expectNoServerErrors(strict);
  await Promise.all([server.stop(), strict.stop()]);
  await smtp.close();
});

const signUp = (body: Record<string, unknown>, target = server) => api(target.url, 'POST', '/api/auth/sign-up/email', { body });
const signIn = (body: Record<string, unknown>, target = server) => api(target.url, 'POST', '/api/auth/sign-in/email', { body });

describe('passwords', () => {
  it('refuses fewer than 15 characters and accepts 15', async () => {
    const res = await signUp({ email: email(), password: 'fourteen-chars', name: 'Short' });
    expectValidationError(res, 'password');
    expect(res.body.errors[0].message).toMatch(/at least 15/);
    expectEnvelope(await signUp({ email: email(), password: 'fifteen-chars!!', name: 'Exact' }), 201, 'OK');
  });

  it('counts code points, not UTF-16 units', async () => {
    const fifteen = '😀😃😄😁😆😅🤣😂🙂🙃😉😊😇🥰😍';
    expect([...fifteen]).toHaveLength(15);
    expectValidationError(await signUp({ email: email(), password: [...fifteen].slice(0, 14).join(''), name: 'Emoji' }), 'password');
    const address = email();
    expectEnvelope(await signUp({ email: address, password: fifteen, name: 'Emoji' }), 201, 'OK');
    expectEnvelope(await signIn({ email: address, password: fifteen }), 200, 'OK');
  });

  it.each(['123456789987654321', 'qwerty123456789', 'QWERTY123456789', 'passwordpassword', 'acctacctacctacct'])(
    'refuses %s, a common password, with the reason',
    async (password) => {
      const res = await signUp({ email: email(), password, name: 'Common' });
      expectValidationError(res, 'password');
      expect(res.body.errors[0].message).toMatch(/common|service/);
    },
  );

  it('refuses a password equal to the email or the name, in any case, and one character repeated', async () => {
    const address = email('context');
    expectValidationError(await signUp({ email: address, password: address, name: 'Context' }), 'password');
    expectValidationError(await signUp({ email: address, password: address.toUpperCase(), name: 'Context' }), 'password');
    expectValidationError(await signUp({ email: address, password: 'Correct Horse Battery', name: 'correct horse battery' }), 'password');
    expectValidationError(await signUp({ email: address, password: 'x'.repeat(20), name: 'Context' }), 'password');
  });

  it('accepts 256 characters and refuses 257 and far more', async () => {
    const long = Array.from({ length: 256 }, (_, i) => 'abcdefghijklmnopqrstuvwxyz0123456789'[i % 36]).join('');
    const tooLong = await signUp({ email: email(), password: `${long}x`, name: 'Long' });
    expectValidationError(tooLong, 'password');
    expect(tooLong.body.errors[0].message).toMatch(/256/);
    expectValidationError(await signUp({ email: email(), password: 'y'.repeat(50_000), name: 'Huge' }), 'password');
    const address = email();
    expectEnvelope(await signUp({ email: address, password: long, name: 'Long' }), 201, 'OK');
    expectEnvelope(await signIn({ email: address, password: long }), 200, 'OK');
  });

  it('never trims a password: surrounding spaces are part of it', async () => {
    const address = email('spaces');
    expectEnvelope(await signUp({ email: address, password: '  spaced-out-passphrase  ', name: 'Spaces' }), 201, 'OK');
    expectEnvelope(await signIn({ email: address, password: 'spaced-out-passphrase' }), 401, 'INVALID_CREDENTIALS');
    expectEnvelope(await signIn({ email: address, password: '  spaced-out-passphrase  ' }), 200, 'OK');
  });
});

describe('emails and names', () => {
  it.each([
    'not-an-email', 'someone@localhost', 'two@@example.com', 'spa ce@example.com', '<a@example.com>', 'a@example.com\r\nBcc: b@example.com',
    '', `${'x'.repeat(250)}@example.com`,
  ])('refuses the email %j', async (address) => {
    expectValidationError(await signUp({ email: address, password: PASSWORD, name: 'Bad Email' }), 'email');
  });

  it('refuses a taken email with 409 CONFLICT, whatever its case', async () => {
    const address = email('taken');
    expectEnvelope(await signUp({ email: address, password: PASSWORD, name: 'First' }), 201, 'OK');
    expectEnvelope(await signUp({ email: address, password: PASSWORD, name: 'Second' }), 409, 'CONFLICT');
    expectEnvelope(await signUp({ email: address.toUpperCase(), password: PASSWORD, name: 'Third' }), 409, 'CONFLICT');
    // And signs in whatever the case.
    expectEnvelope(await signIn({ email: address.toUpperCase(), password: PASSWORD }), 200, 'OK');
  });

  it.each([
    ['missing', undefined], ['empty', ''], ['blank', '   '], ['longer than 100', 'n'.repeat(101)], ['not a string', 42],
  ])('refuses a name that is %s', async (_, name) => {
    expectValidationError(await signUp({ email: email(), password: PASSWORD, ...(name === undefined ? {} : { name }) }), 'name');
  });

  it('keeps any real name and derives a clean handle from it', async () => {
    const res = await signUp({ email: email('intl'), password: PASSWORD, name: '  Zoë Ångström-Łukasiewicz  ' });
    expectEnvelope(res, 201, 'OK');
    expect(res.body.data.user.fullName).toBe('Zoë Ångström-Łukasiewicz');
    expect(res.body.data.user.handle).toMatch(/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/);
    const symbols = await signUp({ email: email('symbols'), password: PASSWORD, name: '!!!' });
    expect(symbols.body.data.user.handle).toMatch(/^symbols/);
  });

  it('refuses fields a client may not set at sign-up', async () => {
    const res = await signUp({ email: email(), password: PASSWORD, name: 'Sneaky', role: 'admin', isVerified: true });
    expectValidationError(res, 'role', 'isVerified');
  });
});

describe('ACCT_REQUIRE_EMAIL_VERIFICATION=true', () => {
  it('refuses sign-in and login with 403 EMAIL_NOT_VERIFIED until the mailed link is used', async () => {
    const address = email('strict');
    expectEnvelope(await signUp({ email: address, password: PASSWORD, name: 'Strict' }, strict), 201, 'OK');
    expectEnvelope(await signIn({ email: address, password: PASSWORD }, strict), 403, 'EMAIL_NOT_VERIFIED');
    expectEnvelope(await api(strict.url, 'POST', '/api/auth/login', { body: { email: address, password: PASSWORD } }), 403, 'EMAIL_NOT_VERIFIED');
    // A wrong password still says only that: the verification state is not revealed.
    expectEnvelope(await signIn({ email: address, password: 'not-the-password-at-all' }, strict), 401, 'INVALID_CREDENTIALS');

    const token = tokenOf(await nextMail(smtp, address, VERIFY_SUBJECT));
    expectEnvelope(await api(strict.url, 'POST', '/api/auth/verify-email', { body: { token } }), 200, 'OK');
    const signedIn = await signIn({ email: address, password: PASSWORD }, strict);
    expectEnvelope(signedIn, 200, 'OK');
    expect(signedIn.body.data.user.isVerified).toBe(true);
  });

  it('applies ACCT_PASSWORD_MIN_LENGTH', async () => {
    const res = await signUp({ email: email(), password: 'nineteen-characters', name: 'Min' }, strict);
    expectValidationError(res, 'password');
    expect(res.body.errors[0].message).toMatch(/at least 20/);
  });
});

describe('concurrent sign-ups', () => {
  it('twenty people with the same name signing up at once all get accounts, with distinct handles', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => signUp({ email: email('twin'), password: PASSWORD, name: 'Same Name' })));
    for (const res of results) expectEnvelope(res, 201, 'OK');
    const handles = results.map((r) => r.body.data.user.handle as string);
    expect(new Set(handles).size).toBe(20);
  });

  it('the same email signing up twice at once creates one account and one CONFLICT', async () => {
    const address = email('race');
    const results = await Promise.all([0, 1].map(() => signUp({ email: address, password: PASSWORD, name: 'Race' })));
    expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
    expect(results.find((r) => r.status === 409)!.body.message).toMatch(/already exists/);
  });
});

describe('concurrent organization creation', () => {
  it('ten organizations with the same name created at once all get distinct slugs', async () => {
    const address = email('orgs');
    await signUp({ email: address, password: PASSWORD, name: 'Org Maker' });
    const cookie = (await signIn({ email: address, password: PASSWORD })).headers.get('set-cookie')!.split(';')[0]!;
    const results = await Promise.all(Array.from({ length: 10 }, () => api(server.url, 'POST', '/api/user/organizations', { cookie, body: { name: 'Acme' } })));
    for (const res of results) expectEnvelope(res, 201, 'OK');
    expect(new Set(results.map((r) => r.body.data.slug)).size).toBe(10);
  });
});
