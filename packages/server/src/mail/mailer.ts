import fs from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { Logger } from 'pino';

export interface Mail {
  to: string;
  subject: string;
  text: string;
  /** The one link the mail carries (verification, reset, invitation). */
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

/** Real SMTP when SMTP_URL is set (nodemailer); else `.eml` files in the outbox and a log line. */
export function createMailer(opts: { smtpUrl: string | null; outboxDir: string; logger: Logger; from?: string }): Mailer {
  const from = opts.from ?? process.env['ACCT_MAIL_FROM'] ?? FROM;
  if (opts.smtpUrl) {
    const transport = nodemailer.createTransport(opts.smtpUrl);
    return {
      async send(mail) {
        await transport.sendMail({ from, to: headerSafe(mail.to), subject: headerSafe(mail.subject), text: mail.text });
      },
    };
  }
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    async send(mail) {
      const info = await transport.sendMail({ from, to: headerSafe(mail.to), subject: headerSafe(mail.subject), text: mail.text });
      await fs.mkdir(opts.outboxDir, { recursive: true, mode: 0o700 });
      const safeTo = mail.to.replace(/[^A-Za-z0-9@._-]/g, '_');
      const file = path.join(opts.outboxDir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${safeTo}.eml`);
      await fs.writeFile(file, info.message as Buffer, { mode: 0o600 });
      // Development mode only (no SMTP_URL): the link is what a developer needs to go on.
      opts.logger.warn({ mailFile: file, subject: mail.subject, link: mail.link }, 'SMTP_URL is not set: mail written to the outbox');
    },
  };
}
