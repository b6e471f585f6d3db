/**
 * One account per address and one password per spelling (issue 11, items 8 and 9): emails are
 * NFKC-normalised with an IDNA domain, invisible characters and trailing dots refused; passwords
 * are counted in code points and hashed in NFKC, and hashes made before still verify.
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { hash } from '@node-rs/argon2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, email, newUser, PASSWORD, ROOT, SERVER_MAIN, startServer, startSmtp, type RunningServer, type SmtpCatcher } from './harness.js';
import { api, expectEnvelope, expectNoServerErrors, expectValidationError, nextMail, RESET_SUBJECT } from './support.js';
import { INVITE_SUBJECT, orgPath, sqlOn } from './tenancy-support.js';

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

/** Runs `acct-server <command>` without blocking this process (its pooled HTTP connections must keep being served). */
function acctServer(command: string, env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [SERVER_MAIN, command], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

const signUp = (body: Record<string, unknown>) => call(server.url, 'POST', '/api/auth/sign-up/email', { body });
const signIn = (body: Record<string, unknown>) => call(server.url, 'POST', '/api/auth/sign-in/email', { body });

/** `abc@example.com` → `ａｂｃ@ｅｘａｍｐｌｅ.ｃｏｍ` (fullwidth forms of ASCII letters, digits and punctuation). */
const fullwidth = (text: string) => text.replace(/[!-~]/g, (c) => (c === '@' || c === '.' ? c : String.fromCodePoint(c.codePointAt(0)! + 0xfee0)));

describe('emails: one account per normalised address', () => {
  it('a fullwidth, long-s or upper-case spelling of a taken address is the same account: 409 at sign-up, and it signs in', async () => {
    const address = email('sam');
    const up = await signUp({ email: address, password: PASSWORD, name: 'Sam' });
    expectEnvelope(up, 201, 'OK');
    for (const variant of [fullwidth(address), address.replace('s', 'ſ'), address.toUpperCase().replace('EXAMPLE', 'ＥＸＡＭＰＬＥ')]) {
      expectEnvelope(await signUp({ email: variant, password: PASSWORD, name: 'Look-alike' }), 409, 'CONFLICT');
      const signedIn = await signIn({ email: variant, password: PASSWORD });
      expectEnvelope(signedIn, 200, 'OK');
      expect(signedIn.body.data.user.id).toBe(up.body.data.user.id);
    }
    const bearer = await call(server.url, 'POST', '/api/auth/login', { body: { email: fullwidth(address), password: PASSWORD } });
    expectEnvelope(bearer, 200, 'OK');
    expect(bearer.body.data.user.email).toBe(address);
  });

  it.each([
    ['a trailing dot on the domain', (a: string) => `${a}.`],
    ['a zero-width space', (a: string) => a.replace('@', '\u200b@')],
    ['a zero-width joiner', (a: string) => `\u200d${a}`],
    ['a right-to-left override', (a: string) => a.replace('@', '@\u202e')],
    ['a soft hyphen', (a: string) => a.replace('-', '\u00ad-')],
    ['an ideographic full stop at the end', (a: string) => `${a}\u3002`],
  ])('refuses an address with %s, at sign-up, sign-in, reset and verification requests', async (_, spell) => {
    const address = email('plain');
    expectEnvelope(await signUp({ email: address, password: PASSWORD, name: 'Plain' }), 201, 'OK');
    const lookalike = spell(address);
    expectValidationError(await signUp({ email: lookalike, password: PASSWORD, name: 'Look-alike' }), 'email');
    expectValidationError(await signIn({ email: lookalike, password: PASSWORD }), 'email');
    expectValidationError(await call(server.url, 'POST', '/api/auth/request-password-reset', { body: { email: lookalike } }), 'email');
    expectValidationError(await call(server.url, 'POST', '/api/auth/send-verification-email', { body: { email: lookalike } }), 'email');
  });

  it('passes the domain through IDNA: a Unicode domain and its punycode are one account', async () => {
    const local = `idn-${process.pid}-${Date.now()}`;
    const up = await signUp({ email: `${local}@BÜCHER.example`, password: PASSWORD, name: 'Bücher' });
    expectEnvelope(up, 201, 'OK');
    expect(up.body.data.user.email).toBe(`${local}@xn--bcher-kva.example`);
    expectEnvelope(await signUp({ email: `${local}@xn--bcher-kva.example`, password: PASSWORD, name: 'Punycode' }), 409, 'CONFLICT');
    expectEnvelope(await signIn({ email: `${local}@bücher.example`, password: PASSWORD }), 200, 'OK');
  });

  it('a reset asked for with a look-alike spelling mails the account’s own address', async () => {
    const address = email('resetter');
    expectEnvelope(await signUp({ email: address, password: PASSWORD, name: 'Resetter' }), 201, 'OK');
    expectEnvelope(await call(server.url, 'POST', '/api/auth/request-password-reset', { body: { email: fullwidth(address) } }), 200, 'OK');
    const mail = await nextMail(smtp, address, RESET_SUBJECT);
    expect(mail.to).toContain(address);
  });

  it('an invitation to a look-alike spelling is stored as the normalised address: one invitee whatever the spelling', async () => {
    const owner = await newUser(server.url, 'inviter');
    const address = email('invited');
    const sent = await api(server.url, 'POST', orgPath(owner.organizationId, '/members'), { cookie: owner.cookie, body: { email: fullwidth(address), role: 'member' } });
    expectEnvelope(sent, 201, 'OK');
    expect(sent.body.data.email).toBe(address);
    await nextMail(smtp, address, INVITE_SUBJECT);
    // Inviting the plain spelling again is the same invitee: the older link is voided, not a second seat.
    expectEnvelope(await api(server.url, 'POST', orgPath(owner.organizationId, '/members'), { cookie: owner.cookie, body: { email: address, role: 'member' } }), 201, 'OK');
    const pending = await api(server.url, 'GET', orgPath(owner.organizationId, '/invitations?status=pending'), { cookie: owner.cookie });
    expect(pending.body.data.map((i: { email: string }) => i.email)).toEqual([address]);
  });
});

describe('emails: rate limits count the normalised address', () => {
  it('look-alike spellings share one per-email budget', async () => {
    const limits = {
      defaults: false, ip: { limit: 1000, windowSeconds: 60 }, credential: { limit: 1000, windowSeconds: 60 },
      endpoints: { requestPasswordReset: { email: { limit: 2, windowSeconds: 3600 } } },
    };
    const limited = await startServer({ ACCT_RATE_LIMITS: JSON.stringify(limits) });
    try {
      const address = email('budget');
      const ask = (spelling: string) => call(limited.url, 'POST', '/api/auth/request-password-reset', { body: { email: spelling } });
      expectEnvelope(await ask(address), 200, 'OK');
      expectEnvelope(await ask(address.toUpperCase()), 200, 'OK');
      expectEnvelope(await ask(fullwidth(address)), 429, 'RATE_LIMITED');
      expectEnvelope(await ask(address.replace('b', 'Ｂ')), 429, 'RATE_LIMITED');
    } finally {
      await limited.stop();
    }
  });
});

describe('emails: migration 0004 on stored addresses', () => {
  it('rewrites a lone look-alike to its normal form, reports collisions and refused addresses without merging, and doctor lists them', async () => {
    const tag = `${process.pid}-${Date.now()}`;
    const now = new Date().toISOString();
    const rows = [
      { id: `mig-a-${tag}`, email: `bob-${tag}@example.com` },
      { id: `mig-b-${tag}`, email: fullwidth(`bob-${tag}@example.com`) },
      { id: `mig-c-${tag}`, email: `carol-${tag}@example.com.` },
      { id: `mig-d-${tag}`, email: `ｄａｖｅ-${tag}@example.com` },
    ];
    for (const [i, row] of rows.entries()) {
      await sqlOn(server, 'INSERT INTO users (id, email, full_name, handle, password_hash, role, is_active, failed_sign_ins, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 1, 0, ?, ?)', [
        row.id, row.email, 'Legacy', `legacy${i}x${tag.replace(/\D/g, '')}`, 'x', 'user', now, now,
      ]);
    }
    // As if 0004 had not run yet on this database: the migrations after it are undone too, since
    // kysely applies migrations in order only.
    const later = await sqlOn(server, "SELECT name FROM kysely_migration WHERE name > '0004_email_identity' ORDER BY name DESC");
    if (later.length > 0) {
      const { openDatabase } = (await import(path.join(ROOT, 'packages/server/dist/db/database.js'))) as typeof import('../src/db/database.js');
      const db = await openDatabase({ databaseUrl: server.databaseUrl, dataDir: server.dataDir } as Parameters<typeof openDatabase>[0]);
      try {
        for (const { name } of later) {
          const migration = (await import(path.join(ROOT, `packages/server/dist/db/migrations/${String(name)}.js`))) as { down(db: unknown): Promise<void> };
          await migration.down(db);
        }
      } finally {
        await db.destroy();
      }
    }
    await sqlOn(server, "DELETE FROM kysely_migration WHERE name >= '0004_email_identity'");
    const env = { PATH: process.env['PATH'] ?? '', HOME: os.tmpdir(), ACCT_DATA_DIR: server.dataDir, ...(server.databaseUrl ? { DATABASE_URL: server.databaseUrl } : {}) };
    const migrated = await acctServer('migrate', env);
    expect(migrated.status).toBe(0);
    expect(migrated.stdout).toMatch(/applied 0004_email_identity/);
    const line = JSON.parse(migrated.stderr.split('\n').find((l) => l.includes('0004_email_identity'))!);
    expect(line.level).toBe(40);
    expect(line.collisions).toContainEqual({ userIds: [`mig-a-${tag}`, `mig-b-${tag}`] });
    expect(line.refused).toContainEqual({ userId: `mig-c-${tag}`, reason: expect.stringMatching(/dot/) });
    expect(migrated.stderr).not.toContain(`bob-${tag}`); // ids, never addresses, in the log

    const stored = await sqlOn(server, 'SELECT id, email FROM users WHERE id LIKE ? ORDER BY id', [`mig-%-${tag}`]);
    expect(stored).toEqual([
      { id: `mig-a-${tag}`, email: rows[0]!.email }, { id: `mig-b-${tag}`, email: rows[1]!.email }, // not merged
      { id: `mig-c-${tag}`, email: rows[2]!.email }, { id: `mig-d-${tag}`, email: `dave-${tag}@example.com` },
    ]);

    const doctor = await acctServer('doctor', env);
    expect(doctor.stdout).toMatch(new RegExp(`emails +look-alike accounts, not merged: .*mig-a-${tag} = mig-b-${tag}`));
    expect(doctor.stdout).toContain(`mig-c-${tag} (email must not end its domain with a dot)`);
  });
});

describe('passwords: code points and normal forms', () => {
  it('accepts 129 emoji (258 UTF-16 units, 129 code points) and refuses 257 code points with the reason', async () => {
    const faces = [...'😀😃😄😁😆😅🤣😂🙂🙃😉😊😇🥰😍'];
    const emojis = (n: number) => Array.from({ length: n }, (_, i) => faces[i % faces.length]).join('');
    const emoji = emojis(129);
    expect(emoji.length).toBe(258);
    const address = email('emoji');
    expectEnvelope(await signUp({ email: address, password: emoji, name: 'Emoji' }), 201, 'OK');
    expectEnvelope(await signIn({ email: address, password: emoji }), 200, 'OK');
    const tooLong = await signUp({ email: email(), password: emojis(257), name: 'Emoji' });
    expectValidationError(tooLong, 'password');
    expect(tooLong.body.errors[0].message).toMatch(/at most 256/);
  });

  it('the NFC and NFD spellings of a password are the same password', async () => {
    const nfc = 'crème brûlée au café'.normalize('NFC');
    const nfd = nfc.normalize('NFD');
    expect(nfd).not.toBe(nfc);
    const address = email('accents');
    expectEnvelope(await signUp({ email: address, password: nfd, name: 'Accents' }), 201, 'OK');
    expectEnvelope(await signIn({ email: address, password: nfc }), 200, 'OK');
    expectEnvelope(await signIn({ email: address, password: nfd }), 200, 'OK');
    expectEnvelope(await signIn({ email: address, password: nfc.replace('è', 'e') }), 401, 'INVALID_CREDENTIALS');
  });

  it('a hash made from an un-normalised password still verifies, and is rehashed so that every spelling works', async () => {
    const nfd = 'señor piñata fiesta'.normalize('NFD');
    const address = email('legacy-hash');
    expectEnvelope(await signUp({ email: address, password: PASSWORD, name: 'Legacy' }), 201, 'OK');
    // What the server stored before passwords were normalised: the input as typed (NFD here).
    const legacy = await hash(nfd, { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 });
    await sqlOn(server, 'UPDATE users SET password_hash = ? WHERE email = ?', [legacy, address]);
    expectEnvelope(await signIn({ email: address, password: nfd.normalize('NFC') }), 401, 'INVALID_CREDENTIALS');
    expectEnvelope(await signIn({ email: address, password: nfd }), 200, 'OK');
    const [row] = await sqlOn(server, 'SELECT password_hash FROM users WHERE email = ?', [address]);
    expect(row!['password_hash']).not.toBe(legacy);
    expectEnvelope(await signIn({ email: address, password: nfd.normalize('NFC') }), 200, 'OK');
    expectEnvelope(await signIn({ email: address, password: nfd }), 200, 'OK');
  });
});
