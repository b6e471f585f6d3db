import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, email, newUser, PASSWORD, startServer, type RunningServer } from './harness.js';
import { expectEnvelope } from './support.js';

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

const escaped = (text: string) => new RegExp(text.replace(/[.+]/g, '\\$&'));

/** The text of an outbox `.eml`: its base64 body decoded. */
function mailText(file: string): string {
  const body = fs.readFileSync(file, 'utf8').split('\n\n')[1]!;
  return Buffer.from(body.replace(/\n/g, ''), 'base64').toString('utf8');
}

/** The server's JSON log lines that name an outbox file. */
function outboxLines(): Record<string, unknown>[] {
  return server.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => 'mailFile' in l);
}

describe('without SMTP_URL, mail goes to the outbox', () => {
  it('writes a readable 0600 .eml with the verification link, and logs the file, not the link', async () => {
    const address = email('outbox');
    expect((await call(server.url, 'POST', '/api/auth/sign-up/email', { body: { email: address, password: PASSWORD, name: 'Zoë Outbox' } })).status).toBe(201);
    const file = await waitForFile(path.join(server.dataDir, 'outbox'), escaped(address));
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
    expect(outboxLines().map((l) => l['mailFile'])).toContain(file);
    expect(server.output()).not.toContain(link![1]);
  });

  it('never logs the link or token of a verification, a reset or an invitation: only the outbox file', async () => {
    const outbox = path.join(server.dataDir, 'outbox');
    const owner = await newUser(server.url, 'outbox-owner');
    const verification = await waitForFile(outbox, escaped(owner.email));
    expectEnvelope(await call(server.url, 'POST', '/api/auth/request-password-reset', { body: { email: owner.email } }), 200, 'OK');
    let reset = '';
    for (let i = 0; i < 100 && !reset; i++) {
      reset = fs.readdirSync(outbox).map((f) => path.join(outbox, f)).find((f) => f.endsWith('.eml') && f.includes(owner.email) && /reset-password\?token=/.test(mailText(f))) ?? '';
      if (!reset) await new Promise((r) => setTimeout(r, 50));
    }
    expect(reset, 'a reset mail in the outbox').not.toBe('');
    const invitee = email('outbox-invitee');
    expectEnvelope(await call(server.url, 'POST', `/api/user/organizations/${owner.organizationId}/members`, { cookie: owner.cookie, body: { email: invitee, role: 'member' } }), 201, 'OK');
    const invitation = await waitForFile(outbox, escaped(invitee));

    const files = [verification, reset, invitation];
    const tokens = files.map((f) => /[?&]token=([^\s&]+)/.exec(mailText(f))?.[1]);
    expect(tokens.every((t) => typeof t === 'string' && t.length >= 20), String(tokens.map((t) => t?.length))).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    const output = server.output();
    for (const token of tokens) {
      expect(output).not.toContain(token!);
      expect(output).not.toContain(decodeURIComponent(token!));
    }
    expect(output).not.toMatch(/token=/);
    expect(output).not.toMatch(/"link"/);
    const logged = outboxLines().map((l) => l['mailFile']);
    for (const file of files) expect(logged).toContain(file);
  });

  it('encodes a subject that is not plain ASCII', async () => {
    const { formatEml } = await import('../src/mail/mailer.js');
    const eml = formatEml({ to: 'a@example.com', subject: 'Bienvenue, Zoë', text: 'é' }, 'acct <no-reply@acct.local>');
    expect(eml).toContain(`Subject: =?UTF-8?B?${Buffer.from('Bienvenue, Zoë').toString('base64')}?=`);
    expect(eml).not.toMatch(/\r/);
  });
});
