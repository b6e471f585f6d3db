/**
 * A copy of the database must not hand over any account: every secret the server issues or
 * receives is kept only as a hash. The SQLite files are read as bytes, WAL included, so a
 * secret anywhere (a row, a journal page, an index) is found; on PostgreSQL every row is read.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { email, newKey, signIn, startServer, startSmtp, withTestDb, type RunningServer, type SmtpCatcher } from './harness.js';
import { api, expectEnvelope, expectNoServerErrors, nextMail, RESET_SUBJECT, tokenOf, VERIFY_SUBJECT } from './support.js';

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

/**
 * Everything the database holds. SQLite: every byte of the main file and the write-ahead log
 * (free pages and old row versions included). PostgreSQL: every row of every table, as text.
 */
async function databaseBytes(): Promise<Buffer> {
  if (server.databaseUrl) {
    return withTestDb(server, async (db) => {
      const tables = await db.all<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'");
      expect(tables.length).toBeGreaterThan(0);
      // One query at a time: a pg client queues concurrent ones, which pg deprecates (pg 9 refuses them).
      const dumps: string[] = [];
      for (const t of tables) dumps.push(JSON.stringify(await db.all(`SELECT * FROM "${t.table_name}"`)));
      return Buffer.from(dumps.join('\n'));
    });
  }
  const files = ['acct.db', 'acct.db-wal'].map((f) => path.join(server.dataDir, f)).filter((f) => fs.existsSync(f));
  expect(files).toContain(path.join(server.dataDir, 'acct.db'));
  return Buffer.concat(files.map((f) => fs.readFileSync(f)));
}

describe('no plaintext secret in the database', () => {
  it('keeps passwords, session cookies, bearer tokens, API keys, verification and reset tokens only as hashes', async () => {
    const address = email('secrets');
    // Distinctive, so that a hit cannot be a coincidence.
    const password = `correct-horse-${Date.now()}-battery-staple`;
    const newPassword = `second-horse-${Date.now()}-battery-staple`;

    expectEnvelope(await api(server.url, 'POST', '/api/auth/sign-up/email', { body: { email: address, password, name: 'Secret Keeper' } }), 201, 'OK');
    const verifyToken = tokenOf(await nextMail(smtp, address, VERIFY_SUBJECT));
    const cookie = await signIn(server.url, address, password);
    const sessionToken = cookie.split('=')[1]!;
    const login = await api(server.url, 'POST', '/api/auth/login', { body: { email: address, password } });
    const bearerToken = login.body.data.token as string;
    const { key: apiKey } = await newKey(server.url, cookie, ['user:read']);
    expectEnvelope(await api(server.url, 'GET', '/api/user/me', { apiKey }), 200, 'OK'); // used, so verified and cached
    await api(server.url, 'POST', '/api/auth/request-password-reset', { body: { email: address } });
    const resetToken = tokenOf(await nextMail(smtp, address, RESET_SUBJECT));
    // Used tokens and changed passwords leave their traces in the WAL too.
    expectEnvelope(await api(server.url, 'POST', '/api/auth/verify-email', { body: { token: verifyToken } }), 200, 'OK');
    expectEnvelope(
      await api(server.url, 'POST', '/api/auth/change-password', { cookie: (await signIn(server.url, address, password)), body: { currentPassword: password, newPassword } }),
      200, 'OK',
    );

    const secrets: Record<string, string> = { password, newPassword, sessionToken, bearerToken, apiKey, verifyToken, resetToken };
    for (const [name, secret] of Object.entries(secrets)) expect(secret.length, name).toBeGreaterThanOrEqual(15);

    const bytes = await databaseBytes();
    // The database is really there and holds this user: the search would find plain text.
    expect(bytes.includes(Buffer.from(address))).toBe(true);
    for (const [name, secret] of Object.entries(secrets)) {
      expect(bytes.includes(Buffer.from(secret)), `${name} is stored in plain text`).toBe(false);
      // Nor the random part alone: a token's prefix and lookup id may be stored, its secret may not.
      if (/^b[a-z]_/.test(secret)) expect(bytes.includes(Buffer.from(secret.slice(15, 47))), `${name}'s secret part is stored`).toBe(false);
    }
  });
});
