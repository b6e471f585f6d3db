import Database from 'better-sqlite3';
import path from 'node:path';
import pg from 'pg';
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

/** A statement runner on one connection to the server's database (`?` placeholders). */
type Sql = (text: string, params?: unknown[]) => Promise<Record<string, unknown>[]>;

/**
 * Runs `fn` with one connection to the server's database, SQLite file or PostgreSQL. A whole
 * before/after dump takes one PostgreSQL connection, not one per table: a connection costs a
 * backend process, and the isolation matrix dumps twice for every route and caller.
 */
export async function withSql<T>(server: RunningServer, fn: (sql: Sql) => Promise<T>): Promise<T> {
  if (server.databaseUrl) {
    const client = new pg.Client({ connectionString: server.databaseUrl });
    await client.connect();
    try {
      return await fn(async (text, params = []) => {
        let n = 0;
        return (await client.query(text.replace(/\?/g, () => `$${++n}`), params)).rows;
      });
    } finally {
      await client.end();
    }
  }
  const db = new Database(path.join(server.dataDir, 'acct.db'), { fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  try {
    return await fn(async (text, params = []) => {
      const stmt = db.prepare(text);
      return stmt.reader ? (stmt.all(...params) as Record<string, unknown>[]) : (stmt.run(...params), []);
    });
  } finally {
    db.close();
  }
}

/** Runs one statement (`?` placeholders) on the server's database, SQLite file or PostgreSQL; returns the rows. */
export function sqlOn(server: RunningServer, text: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  return withSql(server, (sql) => sql(text, params));
}

/**
 * The audit log's two tables move rows between them on their own (audit/outbox.ts): a dump reads
 * the `audit_log` view of both instead, which a move leaves unchanged.
 */
const MOVING = new Set(['audit_entries', 'audit_outbox']);

/** Every row of every table of the server's database, volatile columns left out, for before/after comparisons. */
export function dumpDb(server: RunningServer): Promise<Record<string, string[]>> {
  return withSql(server, async (sql) => {
    const tables = server.databaseUrl
      ? await sql("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'")
      : await sql("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'");
    const out: Record<string, string[]> = {};
    for (const { name } of [...(tables as { name: string }[]).filter((t) => !MOVING.has(t.name)), { name: 'audit_log' }]) {
      const rows = await sql(`SELECT * FROM "${name}"`);
      for (const row of rows) for (const c of VOLATILE[name] ?? []) delete row[c];
      out[name] = rows.map((r) => JSON.stringify(r)).sort();
    }
    return out;
  });
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
