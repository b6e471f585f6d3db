/**
 * Storage of the authorization server (plain functions taking the database first, STYLE.md
 * habit 2). Route handlers call these instead of reading tables themselves.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database, OAuthClientRow, OAuthGrantRow } from '../db/schema.js';
import { prepared } from '../db/prepared.js';
import { organizationCountColumn } from '../users/users.service.js';
import { iso } from '../time/clock.js';

type Db = Kysely<Database> | Transaction<Database>;

/**
 * A prior consent that still stands: the user's newest unrevoked grant to this client with
 * exactly these scopes and this resource. Revoking the app in "Connected apps" revokes its
 * grants, so a revoked app is asked again.
 */
export async function rememberedGrant(
  db: Db, input: { userId: string; clientId: string; scopes: string[]; resource: string | null },
): Promise<OAuthGrantRow | undefined> {
  let q = db.selectFrom('oauth_grants').selectAll().where('user_id', '=', input.userId).where('client_id', '=', input.clientId).where('revoked_at', 'is', null);
  q = input.resource === null ? q.where('resource', 'is', null) : q.where('resource', '=', input.resource);
  const wanted = [...new Set(input.scopes)].sort().join(' ');
  const rows = await q.orderBy('created_at', 'desc').execute();
  return rows.find((row) => [...new Set(JSON.parse(row.scopes) as string[])].sort().join(' ') === wanted);
}

/** A user's unrevoked grants, newest first, one page (`cursor`: grant ids below it); `pin` keeps one organization's. */
export function listUserGrants(db: Db, input: { userId: string; pin: string | null; cursor: string | null; limit: number }): Promise<OAuthGrantRow[]> {
  let q = db.selectFrom('oauth_grants').selectAll().where('user_id', '=', input.userId).where('revoked_at', 'is', null).orderBy('id', 'desc').limit(input.limit + 1);
  if (input.cursor) q = q.where('id', '<', input.cursor);
  if (input.pin) q = q.where('organization_id', '=', input.pin);
  return q.execute();
}

/** One of a user's grants by id (revoked or not); `pin` keeps one organization's. */
export function findUserGrant(db: Db, input: { grantId: string; userId: string; pin: string | null }): Promise<OAuthGrantRow | undefined> {
  let q = db.selectFrom('oauth_grants').selectAll().where('id', '=', input.grantId).where('user_id', '=', input.userId);
  if (input.pin) q = q.where('organization_id', '=', input.pin);
  return q.executeTakeFirst();
}

/** A grant by id, revoked or not. */
export function grantById(db: Db, grantId: string): Promise<OAuthGrantRow | undefined> {
  return db.selectFrom('oauth_grants').selectAll().where('id', '=', grantId).executeTakeFirst();
}

/** The unrevoked grants limited to an organization, newest first, one page. */
export function listOrganizationGrants(db: Db, input: { organizationId: string; cursor: string | null; limit: number }): Promise<OAuthGrantRow[]> {
  let q = db.selectFrom('oauth_grants').selectAll().where('organization_id', '=', input.organizationId).where('revoked_at', 'is', null).orderBy('id', 'desc').limit(input.limit + 1);
  if (input.cursor) q = q.where('id', '<', input.cursor);
  return q.execute();
}

/** An access or refresh token by hash, with its grant and the grant's user, in one compiled statement (see keyWithOwner for the CAST). */
const tokenWithOwner = prepared((db) =>
  db
    .selectFrom('oauth_tokens as t')
    .innerJoin('oauth_grants as g', 'g.id', 't.grant_id')
    .innerJoin('users', 'users.id', 'g.user_id')
    .selectAll('users')
    .select((eb) => [
      't.id as token_id', 't.kind as token_kind', 't.created_at as token_created_at', 't.scopes as token_scopes', 't.resource as token_resource', 't.expires_at as token_expires_at',
      't.revoked_at as token_revoked_at', 'g.id as grant_id', 'g.client_id as grant_client_id', 'g.organization_id as grant_organization_id',
      'g.revoked_at as grant_revoked_at', 'g.last_used_at as grant_last_used_at', organizationCountColumn(eb),
    ])
    .where('t.token_hash', '=', sql<string>`cast(${''} as text)`),
);

/** The token stored under `tokenHash` with its grant and user, or undefined. */
export function findTokenWithOwner(db: Kysely<Database>, tokenHash: string) {
  return tokenWithOwner.first(db, [tokenHash]);
}

/** Records that a grant was used now (callers throttle it). */
export function touchGrant(db: Db, grantId: string, now: Date): Promise<unknown> {
  return db.updateTable('oauth_grants').set({ last_used_at: iso(now) }).where('id', '=', grantId).execute();
}

/** A client row by id (a registered client's id, or a metadata document's URL). */
export function findClient(db: Db, clientId: string): Promise<OAuthClientRow | undefined> {
  return db.selectFrom('oauth_clients').selectAll().where('id', '=', clientId).executeTakeFirst();
}

/** A registered client by id: read on every token, revocation and introspection request, so compiled once. */
const registeredClient = prepared((db) => db.selectFrom('oauth_clients').selectAll().where('id', '=', '').where('kind', '=', 'registered'));

/** A client registered through RFC 7591, by id. */
export function findRegisteredClient(db: Kysely<Database>, clientId: string): Promise<OAuthClientRow | undefined> {
  return registeredClient.first(db, [clientId, 'registered']);
}

/** Stores a client row, replacing the one with its id (a re-fetched metadata document). */
export async function saveClient(db: Db, row: OAuthClientRow): Promise<void> {
  await db.insertInto('oauth_clients').values(row).onConflict((oc) => oc.column('id').doUpdateSet(row)).execute();
}

/** Stores a newly registered client. */
export async function insertClient(db: Db, row: OAuthClientRow): Promise<void> {
  await db.insertInto('oauth_clients').values(row).execute();
}
