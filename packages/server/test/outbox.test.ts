import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, email, PASSWORD, startServer, type RunningServer } from './harness.js';

let server: RunningServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.stop();
});

async function waitForFile(dir: string, match: RegExp): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const found = fs.existsSync(dir) ? fs.readdirSync(dir).find((f) => match.test(f) && f.endsWith('.eml')) : undefined;
    if (found) return path.join(dir, found);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no file matching ${match} in ${dir}`);
}

describe('without SMTP_URL, mail goes to the outbox', () => {
  it('writes a readable 0600 .eml with the verification link, and logs the link', async () => {
    const address = email('outbox');
    expect((await call(server.url, 'POST', '/api/auth/sign-up/email', { body: { email: address, password: PASSWORD, name: 'Zoë Outbox' } })).status).toBe(201);
    const file = await waitForFile(path.join(server.dataDir, 'outbox'), new RegExp(address.replace(/[.+]/g, '\\$&')));
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const [head, body] = fs.readFileSync(file, 'utf8').split('\n\n');
    expect(head).toContain(`To: ${address}`);
    expect(head).toContain('Subject: Verify your email address for acct');
    expect(head).toContain('Content-Type: text/plain; charset=utf-8');
    const text = Buffer.from(body!.replace(/\n/g, ''), 'base64').toString('utf8');
    const link = /http:\/\/\S+\/api\/auth\/verify-email\?token=(bm_\w+)/.exec(text);
    expect(link).not.toBeNull();
    // The link works: it shows the confirmation, and POSTing its token verifies the address.
    expect((await call(server.url, 'GET', `/api/auth/verify-email?token=${link![1]}`)).status).toBe(200);
    expect((await call(server.url, 'POST', '/api/auth/verify-email', { body: { token: link![1] } })).status).toBe(200);
    expect(server.output()).toContain(link![0]);
  });

  it('encodes a subject that is not plain ASCII', async () => {
    const { formatEml } = await import('../src/mail/mailer.js');
    const eml = formatEml({ to: 'a@example.com', subject: 'Bienvenue, Zoë', text: 'é' }, 'acct <no-reply@acct.local>');
    expect(eml).toContain(`Subject: =?UTF-8?B?${Buffer.from('Bienvenue, Zoë').toString('base64')}?=`);
    expect(eml).not.toMatch(/\r/);
  });
});
