import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { email, PASSWORD, startSmtp, type RunningServer, type SmtpCatcher } from './harness.js';
import { expectEnvelope, expectNoServerErrors, tokenOf } from './support.js';
import { advance, expectLimited, from, limitedServer, limitHeaders, sameAnswer, serverNow, signInFrom, signUpFrom, startOfWindow } from './rate-limits.fixtures.js';

const WRONG = 'not-the-password-at-all';
const NEW_PASSWORD = 'a-brand-new-long-passphrase';

// Request budgets out of the way: this file is about the lockout of failed passwords.
const LOCKOUT = {
  ip: { limit: 100_000, windowSeconds: 60 },
  endpoints: { signIn: { ip: { limit: 100_000, windowSeconds: 60 }, email: { limit: 100_000, windowSeconds: 60 } }, signUp: { ip: null }, requestPasswordReset: { ip: null, email: null } },
  lockout: {
    perIp: { freeFailures: 3, delaySeconds: 60, maxDelaySeconds: 600 },
    perAccount: { freeFailures: 6, delaySeconds: 30, maxDelaySeconds: 600 },
    blockAt: 10,
  },
};

let server: RunningServer;
let smtp: SmtpCatcher;
beforeAll(async () => {
  smtp = await startSmtp();
  server = await limitedServer(LOCKOUT, { TRUST_PROXY: 'true', SMTP_URL: smtp.url });
});
afterAll(async () => {
  expectNoServerErrors(server);
  await server.stop();
  await smtp.close();
});

async function resetPassword(address: string, ip: string): Promise<void> {
  const before = smtp.mails.length;
  expectEnvelope(await from(ip, server, 'POST', '/api/auth/request-password-reset', { body: { email: address } }), 200, 'OK');
  for (let i = 0; i < 200 && !smtp.mails.slice(before).some((m) => m.to.includes(address) && /Reset/.test(m.subject)); i++) await new Promise((r) => setTimeout(r, 25));
  const mail = smtp.mails.slice(before).find((m) => m.to.includes(address) && /Reset/.test(m.subject));
  expect(mail, 'a reset mail').toBeDefined();
  expectEnvelope(await from(ip, server, 'POST', '/api/auth/reset-password', { body: { token: tokenOf(mail!), newPassword: NEW_PASSWORD } }), 200, 'OK');
}

describe('sign-in lockout', () => {
  it('3 failures from one address lock that address out of the account; the right password is refused the same way', async () => {
    const address = await signUpFrom(server, '10.20.0.100', email('locked'));
    for (let i = 0; i < 3; i++) expectEnvelope(await signInFrom(server, '10.20.0.1', address, WRONG), 401, 'INVALID_CREDENTIALS');
    const wrong = await signInFrom(server, '10.20.0.1', address, WRONG);
    expect(expectLimited(wrong)).toBe(60);
    expect(limitHeaders(wrong)).toMatchObject({ limit: 3, remaining: 0 });
    const right = await signInFrom(server, '10.20.0.1', address, PASSWORD);
    expectLimited(right);
    expect(sameAnswer(right)).toEqual(sameAnswer(wrong));
    expect(right.headers.get('set-cookie')).toBeNull();

    // An unknown email gets exactly the same treatment: nothing tells them apart.
    const nobody = email('nobody');
    for (let i = 0; i < 3; i++) expectEnvelope(await signInFrom(server, '10.20.0.1', nobody, WRONG), 401, 'INVALID_CREDENTIALS');
    expect(sameAnswer(await signInFrom(server, '10.20.0.1', nobody, PASSWORD))).toEqual(sameAnswer(wrong));
  });

  it('another address keeps its own budget; the lock lifts after its delay, and grows with each further failure', async () => {
    const address = await signUpFrom(server, '10.21.0.100', email('elsewhere'));
    for (let i = 0; i < 3; i++) await signInFrom(server, '10.21.0.1', address, WRONG);
    expectLimited(await signInFrom(server, '10.21.0.1', address, PASSWORD));
    // The owner on another network: their own three tries, and the right password works.
    for (let i = 0; i < 2; i++) expectEnvelope(await signInFrom(server, '10.21.0.2', address, WRONG), 401, 'INVALID_CREDENTIALS');
    expectEnvelope(await signInFrom(server, '10.21.0.2', address, PASSWORD), 200, 'OK');
    // A success elsewhere does not unlock the attacker's address.
    const wait = expectLimited(await signInFrom(server, '10.21.0.1', address, WRONG));
    expect(wait).toBeLessThanOrEqual(60);

    // Measured from what is left of the 60 s, so a slow machine's Argon2 time above cannot end the wait early.
    await advance(server, wait - 2);
    expectLimited(await signInFrom(server, '10.21.0.1', address, WRONG));
    await advance(server, 3);
    expectEnvelope(await signInFrom(server, '10.21.0.1', address, WRONG), 401, 'INVALID_CREDENTIALS');
    // Fourth failure from that address: the next try waits twice as long.
    expect(expectLimited(await signInFrom(server, '10.21.0.1', address, PASSWORD))).toBe(120);
  });

  it('a password reset unlocks every address at once', async () => {
    const address = await signUpFrom(server, '10.22.0.100', email('reset'));
    for (let i = 0; i < 3; i++) await signInFrom(server, '10.22.0.1', address, WRONG);
    expectLimited(await signInFrom(server, '10.22.0.1', address, PASSWORD));
    await resetPassword(address, '10.22.0.50');
    expectEnvelope(await signInFrom(server, '10.22.0.1', address, NEW_PASSWORD), 200, 'OK');
  });

  it('failures from many addresses slow the account down, then block it until a password reset', async () => {
    const address = await signUpFrom(server, '10.23.0.100', email('distributed'));
    // Six failures from three addresses: each address is under its own limit of three.
    for (const ip of ['10.23.1.1', '10.23.1.2', '10.23.1.3']) for (let i = 0; i < 2; i++) expectEnvelope(await signInFrom(server, ip, address, WRONG), 401, 'INVALID_CREDENTIALS');
    const slowed = await signInFrom(server, '10.23.2.1', address, PASSWORD);
    expect(expectLimited(slowed)).toBe(30);
    expect(slowed.body.message).toMatch(/from anywhere/);

    // Each further failure doubles the wait: 30, 60, 120, 240 s.
    let wait = 30;
    for (let failures = 7; failures <= 10; failures++) {
      await advance(server, wait + 1);
      expectEnvelope(await signInFrom(server, `10.23.3.${failures}`, address, WRONG), 401, 'INVALID_CREDENTIALS');
      wait *= 2;
    }
    // Ten consecutive failures: blocked everywhere, whatever the password, until a reset.
    const blocked = await signInFrom(server, '10.23.4.1', address, PASSWORD);
    expectLimited(blocked);
    expect(blocked.body.message).toMatch(/reset the password/);
    await advance(server, 2 * 86400);
    expectLimited(await signInFrom(server, '10.23.4.2', address, PASSWORD));

    await resetPassword(address, '10.23.5.1');
    expectEnvelope(await signInFrom(server, '10.23.4.1', address, NEW_PASSWORD), 200, 'OK');
  });
});

describe('credential stuffing', () => {
  it('1,000 sign-ins across 100 emails from one address are throttled, while the real user on another address signs in', async () => {
    // The real defaults (no ACCT_RATE_LIMITS): sign-in 3 per 10 s per address.
    const defaults = await limitedServer(null, { TRUST_PROXY: 'true' });
    try {
      const victims = await Promise.all([0, 1, 2, 3, 4].map((i) => signUpFrom(defaults, `10.30.0.${i + 1}`, email(`victim${i}`))));
      const targets = [...victims, ...Array.from({ length: 95 }, (_, i) => `stuffed-${i}@example.com`)];
      const { start } = await startOfWindow([defaults], 60);
      const statuses = new Map<number, number>();
      const attempts = Array.from({ length: 1000 }, (_, i) => ({ address: targets[i % 100]!, password: `leaked-password-${i}` }));
      for (let i = 0; i < attempts.length; i += 50) {
        const batch = await Promise.all(attempts.slice(i, i + 50).map((a) => signInFrom(defaults, '203.0.113.7', a.address, a.password)));
        for (const res of batch) {
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          if (res.status === 429) expectLimited(res);
          else expectEnvelope(res, 401, 'INVALID_CREDENTIALS');
        }
      }
      // Three per 10-second window got as far as a password check (a slow machine may span two windows).
      const windows = Math.floor((serverNow(defaults) / 1000 - start) / 10) + 1;
      expect(statuses.get(401) ?? 0).toBeLessThanOrEqual(3 * windows);
      expect(statuses.get(429)).toBeGreaterThanOrEqual(1000 - 3 * windows);
      expect([...statuses.keys()].sort()).toEqual(statuses.has(401) ? [401, 429] : [429]);

      // The owner of a targeted account, from home, is not affected.
      expectEnvelope(await signInFrom(defaults, '198.51.100.20', victims[0]!, PASSWORD), 200, 'OK');
      expectNoServerErrors(defaults);
    } finally {
      await defaults.stop();
    }
  });
});
