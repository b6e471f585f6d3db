// test-dialects: sqlite — which statements bump the auth epoch is read from kysely operation nodes in process; no database
/**
 * Which statements bump the auth epoch (auth/invalidation.ts): every write to what authentication
 * and the tenant check read, except new credentials and bookkeeping columns. A statement that slips
 * through here would leave other instances' credential caches stale, so each case is spelled out.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DummyDriver, Kysely, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler, sql, type RootOperationNode } from 'kysely';
import { ROOT } from './harness.js';
import type { Database } from '../src/db/schema.js';

const { changesAuth } = (await import(pathToFileURL(path.join(ROOT, 'packages/server/dist/auth/invalidation.js')).href)) as typeof import('../src/auth/invalidation.js');

const db = new Kysely<Database>({
  dialect: {
    createAdapter: () => new SqliteAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (k) => new SqliteIntrospector(k),
    createQueryCompiler: () => new SqliteQueryCompiler(),
  },
});

const node = (q: { toOperationNode(): unknown }) => q.toOperationNode() as RootOperationNode;
const now = '2026-01-01T00:00:00.000Z';

describe('statements that change what authentication reads bump the epoch', () => {
  it.each<[string, RootOperationNode]>([
    ['revoking a key', node(db.updateTable('api_keys').set({ revoked_at: now }).where('id', '=', 'k'))],
    ['disabling a key', node(db.updateTable('api_keys').set({ enabled: 0, updated_at: now }).where('id', '=', 'k'))],
    ['narrowing scopes', node(db.updateTable('api_keys').set({ scopes: '[]' }).where('id', '=', 'k'))],
    ['rotating a key', node(db.updateTable('api_keys').set({ secret_hash: 'h', previous_secret_hash: 'p', previous_expires_at: now }).where('id', '=', 'k'))],
    ['a last-use write that also revokes', node(db.updateTable('api_keys').set({ last_used_at: now, revoked_at: now }).where('id', '=', 'k'))],
    ['revoking a team key', node(db.updateTable('team_keys').set({ revoked_at: now, updated_at: now }).where('id', '=', 'k'))],
    ['signing out', node(db.updateTable('sessions').set({ revoked_at: now }).where('id', '=', 's'))],
    ['signing out, aliased', node(db.updateTable('sessions as s').set({ revoked_at: now }).where('s.id', '=', 's'))],
    ['deleting sessions', node(db.deleteFrom('sessions').where('user_id', '=', 'u'))],
    ['a password change', node(db.updateTable('users').set({ password_hash: 'h', updated_at: now }).where('id', '=', 'u'))],
    ['disabling an account', node(db.updateTable('users').set({ is_active: 0 }).where('id', '=', 'u'))],
    ['a new name (the cached user row)', node(db.updateTable('users').set({ full_name: 'N', updated_at: now }).where('id', '=', 'u'))],
    ['a role change', node(db.updateTable('memberships').set({ role: 'member' }).where('user_id', '=', 'u'))],
    ['removing a member', node(db.deleteFrom('memberships').where('user_id', '=', 'u'))],
    ['a new membership (the organization count)', node(db.insertInto('memberships').values({ organization_id: 'o', user_id: 'u', role: 'member', created_at: now }))],
    ['a new organization', node(db.insertInto('organizations').values({ id: 'o' } as never))],
    ['deleting an organization (memberships cascade)', node(db.deleteFrom('organizations').where('id', '=', 'o'))],
    ['deleting a team (its keys cascade)', node(db.deleteFrom('teams').where('id', '=', 't'))],
    ['deleting a user', node(db.deleteFrom('users').where('id', '=', 'u'))],
    ['an upsert into a credential table', node(db.insertInto('sessions').values({ id: 's' } as never).onConflict((oc) => oc.column('id').doUpdateSet({ revoked_at: now })))],
    ['raw SQL', node(sql`update api_keys set revoked_at = ${now}`)],
  ])('%s', (_label, statement) => {
    expect(changesAuth(statement)).toBe(true);
  });
});

describe('statements that cannot change a cached answer do not', () => {
  it.each<[string, RootOperationNode]>([
    ['reads', node(db.selectFrom('api_keys').selectAll().where('id', '=', 'k'))],
    ['a key\'s last use', node(db.updateTable('api_keys').set({ last_used_at: now, last_used_ip: '127.0.0.1' }).where('id', '=', 'k'))],
    ['a team key\'s last use', node(db.updateTable('team_keys').set({ last_used_at: now, last_used_ip: null }).where('id', '=', 'k'))],
    ['a session\'s sliding expiry', node(db.updateTable('sessions').set({ last_seen_at: now, expires_at: now }).where('id', '=', 's'))],
    ['sign-in bookkeeping', node(db.updateTable('users').set({ last_login_at: now, failed_sign_ins: 0 }).where('id', '=', 'u'))],
    ['a new session', node(db.insertInto('sessions').values({ id: 's' } as never))],
    ['a new key', node(db.insertInto('api_keys').values({ id: 'k' } as never))],
    ['a new account', node(db.insertInto('users').values({ id: 'u' } as never))],
    ['projects', node(db.updateTable('projects').set({ name: 'p' }).where('id', '=', 'p'))],
    ['the credit ledger', node(db.insertInto('credit_ledger').values({ id: 'l' } as never))],
    ['organization balances (credit debits)', node(db.updateTable('organizations').set({ credit_balance: 1 }).where('id', '=', 'o'))],
    ['renaming an organization', node(db.updateTable('organizations').set({ name: 'o', updated_at: now }).where('id', '=', 'o'))],
    ['renaming a team', node(db.updateTable('teams').set({ name: 't', updated_at: now }).where('id', '=', 't'))],
  ])('%s', (_label, statement) => {
    expect(changesAuth(statement)).toBe(false);
  });
});
