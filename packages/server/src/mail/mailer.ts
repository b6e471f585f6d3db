import fs from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';

export interface Mail {
  to: string;
  subject: string;
  text: string;
  /** The one link the mail carries (verification, reset, invitation); never logged. */
  link?: string;
}

export interface Mailer {
  send(mail: Mail): Promise<void>;
}

/** CR/LF would let a value start a new mail header. */
function headerSafe(value: string): string {
  return value.replace(/[\r\n]+/g, ' ').trim();
}

const FROM = 'acct <no-reply@acct.local>';

/** RFC 2047 encoded-word for a header value that is not plain ASCII. */
function encodeHeader(value: string): string {
  return /^[\x20-\x7e]*$/.test(value) ? value : `=?UTF-8?B?${Buffer.from(value, 'utf8').toString('base64')}?=`;
}

/** A plain-text RFC 5322 message, as the outbox keeps it (an `.eml` any mail client opens). */
export function formatEml(mail: Mail, from: string, date = new Date()): string {
  const headers = [
    `From: ${headerSafe(from)}`,
    `To: ${headerSafe(mail.to)}`,
    `Subject: ${encodeHeader(headerSafe(mail.subject))}`,
    `Date: ${date.toUTCString()}`,
    `Message-ID: <${randomUUID()}@acct.local>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: base64',
  ];
  const body = Buffer.from(mail.text, 'utf8').toString('base64').replace(/.{76}/g, '$&\n');
  return `${headers.join('\n')}\n\n${body}\n`;
}

/**
 * Real SMTP when SMTP_URL is set (nodemailer, loaded only then); else `.eml` files in the
 * outbox and a log line naming the file (never the link or its token).
 */
export function createMailer(opts: { smtpUrl: string | null; outboxDir: string; logger: Logger; from?: string }): Mailer {
  const from = opts.from ?? process.env['ACCT_MAIL_FROM'] ?? FROM;
  const smtpUrl = opts.smtpUrl;
  if (smtpUrl) {
    let transport: Promise<{ sendMail(message: object): Promise<unknown> }> | null = null;
    return {
      async send(mail) {
        transport ??= import('nodemailer').then(({ default: nodemailer }) => nodemailer.createTransport(smtpUrl));
        await (await transport).sendMail({ from, to: headerSafe(mail.to), subject: headerSafe(mail.subject), text: mail.text });
      },
    };
  }
  return {
    async send(mail) {
      await fs.mkdir(opts.outboxDir, { recursive: true, mode: 0o700 });
      const safeTo = mail.to.replace(/[^A-Za-z0-9@._-]/g, '_');
      const file = path.join(opts.outboxDir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${safeTo}.eml`);
      // Written aside and renamed: whoever watches the outbox never reads half a message.
      await fs.writeFile(`${file}.partial`, formatEml(mail, from), { mode: 0o600 });
      await fs.rename(`${file}.partial`, file);
      // The file, never the link: its token is a credential, and logs travel further than the
      // data dir (SECURITY.md "Logging & secrets"). The developer opens the .eml for the link.
      opts.logger.warn({ mailFile: file, subject: mail.subject }, 'SMTP_URL is not set: mail written to the outbox');
    },
  };
}
