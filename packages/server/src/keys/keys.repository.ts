import type { DB } from '../db/database.js';
import type { ApiKeyRow, KeyEventRow } from '../db/schema.js';
import { iso } from '../time/clock.js';
import { ulid } from '../db/ids.js';
import type { SecretStatus } from '../credentials/secret-credential.js';

/** Storage of personal access tokens (`api_keys`) and their history (`key_events`). */

export type KeyEventKind = 'created' | 'updated' | 'rotated' | 'revoked' | 'leak-reported';

export async function insertKey(db: DB, row: ApiKeyRow): Promise<void> {
  await db.insertInto('api_keys').values(row).execute();
}

export async function insertKeyEvent(db: DB, input: { keyId: string; userId: string; kind: KeyEventKind; detail: string; ip: string | null; now: Date }): Promise<void> {
  await db
    .insertInto('key_events')
    .values({ id: ulid(input.now.getTime()), key_id: input.keyId, user_id: input.userId, kind: input.kind, detail: input.detail, ip: input.ip, created_at: iso(input.now) })
    .execute();
}

/** A key of the user's; with `pin`, only one pinned to that organization. */
export async function findUserKey(db: DB, userId: string, id: string, pin?: string | null): Promise<ApiKeyRow | undefined> {
  let q = db.selectFrom('api_keys').selectAll().where('id', '=', id).where('user_id', '=', userId);
  if (pin) q = q.where('organization_id', '=', pin);
  return q.executeTakeFirst();
}

export async function findKeyByLookupId(db: DB, lookupId: string): Promise<ApiKeyRow | undefined> {
  return db.selectFrom('api_keys').selectAll().where('lookup_id', '=', lookupId).executeTakeFirst();
}

/** One keyset page (`limit + 1` rows, newest first) of a user's keys, optionally of one status at `now`. */
export async function listUserKeys(
  db: DB,
  input: { userId: string; pin: string | null; cursor: string | null; limit: number; status?: SecretStatus | undefined; now: Date },
): Promise<ApiKeyRow[]> {
  const now = iso(input.now);
  let q = db.selectFrom('api_keys').selectAll().where('user_id', '=', input.userId).orderBy('id', 'desc').limit(input.limit + 1);
  if (input.pin) q = q.where('organization_id', '=', input.pin);
  if (input.cursor) q = q.where('id', '<', input.cursor);
  switch (input.status) {
    case 'revoked':
      q = q.where('revoked_at', 'is not', null);
      break;
    case 'expired':
      q = q.where('revoked_at', 'is', null).where('expires_at', '<=', now);
      break;
    case 'disabled':
      q = q.where('revoked_at', 'is', null).where('enabled', '=', 0).where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]));
      break;
    case 'active':
      q = q.where('revoked_at', 'is', null).where('enabled', '=', 1).where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]));
      break;
  }
  return q.execute();
}

/** The first 100 events of a key, oldest first. */
export async function keyEvents(db: DB, keyId: string): Promise<KeyEventRow[]> {
  return db.selectFrom('key_events').selectAll().where('key_id', '=', keyId).orderBy('id').limit(100).execute();
}

/** Changes a key's name, enabled flag or scopes while it is not revoked. */
export async function updateKeyColumns(db: DB, id: string, changes: Partial<Pick<ApiKeyRow, 'name' | 'enabled' | 'scopes' | 'updated_at'>>): Promise<void> {
  await db.updateTable('api_keys').set(changes).where('id', '=', id).where('revoked_at', 'is', null).execute();
}

/** A user's unrevoked keys (expired ones too), optionally only those created before a time or but one. */
export async function unrevokedKeys(db: DB, userId: string, only: { createdBefore?: string | undefined; except?: string | undefined } = {}): Promise<Pick<ApiKeyRow, 'id' | 'expires_at'>[]> {
  let q = db.selectFrom('api_keys').select(['id', 'expires_at']).where('user_id', '=', userId).where('revoked_at', 'is', null);
  if (only.createdBefore) q = q.where('created_at', '<', only.createdBefore);
  if (only.except) q = q.where('id', '!=', only.except);
  return q.execute();
}
