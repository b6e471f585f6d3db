/**
 * Storage of the authorization server (plain functions taking the database first, STYLE.md
 * habit 2). Route handlers call these instead of reading tables themselves.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Database, OAuthGrantRow } from '../db/schema.js';

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
