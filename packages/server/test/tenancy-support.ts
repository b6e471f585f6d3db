import Database from 'better-sqlite3';
import path from 'node:path';
import { expect } from 'vitest';
import type { RunningServer, SmtpCatcher, TestUser } from './harness.js';
import { api, expectEnvelope, nextMail, mailsTo, tokenOf } from './support.js';

export const INVITE_SUBJECT = /invited you to/i;

/** Columns that authentication itself touches (sliding session expiry, key last use): not state a request may change. */
const VOLATILE: Record<string, string[]> = {
  sessions: ['last_seen_at', 'expires_at'],
  api_keys: ['last_used_at', 'last_used_ip'],
  team_keys: ['last_used_at', 'last_used_ip'],
};

/** Every row of every table of the server's SQLite file, read-only, volatile columns left out. */
export function dumpDb(server: RunningServer): Record<string, unknown[]> {
  const db = new Database(path.join(server.dataDir, 'acct.db'), { readonly: true, fileMustExist: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[];
    const out: Record<string, unknown[]> = {};
    for (const { name } of tables) {
      const rows = db.prepare(`SELECT * FROM "${name}"`).all() as Record<string, unknown>[];
      for (const row of rows) for (const c of VOLATILE[name] ?? []) delete row[c];
      out[name] = rows.map((r) => JSON.stringify(r)).sort();
    }
    return out;
  } finally {
    db.close();
  }
}

/** The path of an organization's sub-resource. */
export const orgPath = (organizationId: string, rest = '') => `/api/user/organizations/${organizationId}${rest}`;

/** Invites `user` into the organization with `role` and accepts with the mailed token; returns the invitation id. */
export async function joinOrg(server: RunningServer, smtp: SmtpCatcher, inviter: TestUser, organizationId: string, user: TestUser, role: string): Promise<string> {
  const seen = mailsTo(smtp, user.email, INVITE_SUBJECT).length;
  const invite = await api(server.url, 'POST', orgPath(organizationId, '/members'), { cookie: inviter.cookie, body: { email: user.email, role } });
  expectEnvelope(invite, 201, 'OK');
  const mail = await nextMail(smtp, user.email, INVITE_SUBJECT, seen);
  const accepted = await api(server.url, 'POST', `/api/user/invitations/${invite.body.data.id}/accept`, { cookie: user.cookie, body: { token: tokenOf(mail) } });
  expectEnvelope(accepted, 200, 'OK');
  expect(accepted.body.data).toMatchObject({ id: organizationId, role });
  return invite.body.data.id;
}
