import { issueToken, parseToken, type Scope } from '@acct/shared';
import type { AppDeps } from '../deps.js';
import type { DB } from '../db/database.js';
import type { ApiKeyRow, KeyEventRow } from '../db/schema.js';
import { addSeconds, iso } from '../time/clock.js';
import { HttpError } from '../http/http-error.js';
import { ulid } from '../db/ids.js';
import { argon2Hash, argon2Verify, dummyVerify } from '../auth/hashing.js';
import { record } from '../audit/audit.js';

export type KeyStatus = 'active' | 'expired' | 'revoked' | 'disabled';
export type KeyEventKind = 'created' | 'updated' | 'rotated' | 'revoked' | 'leak-reported';

/** Pure: a key's status at `now`. Revocation wins over expiry, expiry over disabling. */
export function keyStatus(row: Pick<ApiKeyRow, 'revoked_at' | 'enabled' | 'expires_at'>, now: Date): KeyStatus {
  if (row.revoked_at) return 'revoked';
  if (row.expires_at && new Date(row.expires_at) <= now) return 'expired';
  if (!row.enabled) return 'disabled';
  return 'active';
}

/** The API shape of a key: never the secret or its hash. */
export function toApiKey(row: ApiKeyRow, now: Date) {
  const graceLive = row.previous_expires_at && new Date(row.previous_expires_at) > now;
  return {
    id: row.id,
    name: row.name,
    start: row.start,
    scopes: JSON.parse(row.scopes) as Scope[],
    organizationId: row.organization_id,
    enabled: row.enabled === 1,
    status: keyStatus(row, now),
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
    lastUsedIp: row.last_used_ip,
    revokedAt: row.revoked_at,
    rotatedAt: row.rotated_at,
    previousSecretExpiresAt: graceLive ? row.previous_expires_at : null,
    createdAt: row.created_at,
  };
}

export function toKeyEvent(row: KeyEventRow) {
  return { id: row.id, kind: row.kind as KeyEventKind, detail: row.detail, ip: row.ip, createdAt: row.created_at };
}

export async function recordKeyEvent(db: DB, input: { keyId: string; userId: string; kind: KeyEventKind; detail: string; ip: string | null; now: Date }): Promise<void> {
  await db
    .insertInto('key_events')
    .values({ id: ulid(input.now.getTime()), key_id: input.keyId, user_id: input.userId, kind: input.kind, detail: input.detail, ip: input.ip, created_at: iso(input.now) })
    .execute();
}

/** What audit rows and webhook events say about a key: never its secret, hash or start. */
function keyFacts(row: ApiKeyRow) {
  return { name: row.name, scopes: JSON.parse(row.scopes) as string[], organizationId: row.organization_id, userId: row.user_id };
}

export interface CreateKeyInput {
  name: string;
  scopes: Scope[];
  expiresIn?: number | null;
  organizationId?: string | undefined;
  ip: string | null;
}

/** Mints a PAT for a user; the plain key exists only in the returned value. */
export async function createKey(deps: AppDeps, userId: string, input: CreateKeyInput) {
  const { db, clock } = deps;
  if (input.organizationId) {
    const member = await db
      .selectFrom('memberships').select('role')
      .where('organization_id', '=', input.organizationId).where('user_id', '=', userId)
      .executeTakeFirst();
    if (!member) throw new HttpError('ORGANIZATION_MISMATCH', 'You can only pin a key to an organization you belong to');
  }
  const now = clock.now();
  const token = issueToken('pat');
  const row: ApiKeyRow = {
    id: `ak_${ulid(now.getTime())}`,
    lookup_id: token.lookupId,
    user_id: userId,
    name: input.name,
    start: token.token.slice(0, 7),
    secret_hash: await argon2Hash(token.token),
    scopes: JSON.stringify([...new Set(input.scopes)]),
    organization_id: input.organizationId ?? null,
    enabled: 1,
    expires_at: input.expiresIn ? iso(addSeconds(now, input.expiresIn)) : null,
    revoked_at: null,
    last_used_at: null,
    last_used_ip: null,
    previous_secret_hash: null,
    previous_expires_at: null,
    rotated_at: null,
    created_at: iso(now),
    updated_at: iso(now),
  };
  await db.transaction().execute(async (trx) => {
    await trx.insertInto('api_keys').values(row).execute();
    await recordKeyEvent(trx, { keyId: row.id, userId, kind: 'created', detail: `scopes ${row.scopes}`, ip: input.ip, now });
    await record(trx, { now, action: 'api_key.created', organizationId: row.organization_id, target: { type: 'api_key', id: row.id }, detail: keyFacts(row) });
  });
  return { row, key: token.token };
}

/**
 * One of the user's keys; someone else's key is the same 404 as no key. `pin` is the
 * organization the calling key is pinned to: such a caller sees only keys pinned to that same
 * organization, so the owner's unpinned keys and keys of other organizations are 404 too.
 */
export async function findKey(db: DB, userId: string, id: string, pin?: string | null): Promise<ApiKeyRow> {
  let q = db.selectFrom('api_keys').selectAll().where('id', '=', id).where('user_id', '=', userId);
  if (pin) q = q.where('organization_id', '=', pin);
  const row = await q.executeTakeFirst();
  if (!row) throw new HttpError('NOT_FOUND', 'No such API key');
  return row;
}

/** Renames, enables/disables, or narrows the scopes of a key; scopes can never grow. */
export async function updateKey(
  deps: AppDeps, userId: string,
  input: { id: string; name?: string | undefined; enabled?: boolean | undefined; scopes?: Scope[] | undefined; ip: string | null; pin?: string | null | undefined },
): Promise<ApiKeyRow> {
  const row = await findKey(deps.db, userId, input.id, input.pin);
  const now = deps.clock.now();
  if (row.revoked_at) throw new HttpError('CONFLICT', 'A revoked key cannot be changed');
  const current = new Set(JSON.parse(row.scopes) as Scope[]);
  if (input.scopes) {
    const added = input.scopes.filter((s) => !current.has(s));
    if (added.length) {
      const message = `scopes can only be narrowed; not held by this key: ${added.join(', ')}`;
      throw new HttpError('VALIDATION_ERROR', message, [{ field: 'scopes', message }]);
    }
  }
  const changes: Partial<ApiKeyRow> = {
    ...(input.name !== undefined ? { name: input.name.trim() || input.name } : {}),
    ...(input.enabled !== undefined ? { enabled: input.enabled ? 1 : 0 } : {}),
    ...(input.scopes ? { scopes: JSON.stringify([...new Set(input.scopes)]) } : {}),
  };
  if (Object.keys(changes).length === 0) return row;
  const updated = { ...row, ...changes, updated_at: iso(now) };
  await deps.db.transaction().execute(async (trx) => {
    await trx.updateTable('api_keys').set({ ...changes, updated_at: iso(now) }).where('id', '=', row.id).where('revoked_at', 'is', null).execute();
    await recordKeyEvent(trx, { keyId: row.id, userId, kind: 'updated', detail: Object.keys(changes).join(', '), ip: input.ip, now });
    await record(trx, { now, action: 'api_key.updated', organizationId: row.organization_id, target: { type: 'api_key', id: row.id }, detail: { ...keyFacts(updated), fields: Object.keys(changes) } });
  });
  return updated;
}

/** Revokes a key for good: the row stays (status revoked) with its history. Idempotent. */
export async function revokeKey(deps: AppDeps, userId: string, id: string, ip: string | null, pin?: string | null): Promise<ApiKeyRow> {
  const reason = 'revoked by owner';
  const row = await findKey(deps.db, userId, id, pin);
  if (row.revoked_at) return row;
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    await trx.updateTable('api_keys').set({ revoked_at: iso(now), updated_at: iso(now) }).where('id', '=', row.id).where('revoked_at', 'is', null).execute();
    await recordKeyEvent(trx, { keyId: row.id, userId, kind: 'revoked', detail: reason, ip, now });
    await record(trx, { now, action: 'api_key.revoked', organizationId: row.organization_id, target: { type: 'api_key', id: row.id }, detail: keyFacts(row) });
  });
  deps.keyVerifier.forget(row.id);
  return { ...row, revoked_at: iso(now), updated_at: iso(now) };
}

/**
 * Pure but for the hash: the new secret of a key (same lookup id) and the columns a rotation
 * writes. With a grace period the current secret becomes the previous one until then; with 0
 * there is no previous secret, so the old one stops at once.
 */
export async function rotation(
  kind: 'pat' | 'teamKey',
  row: { lookup_id: string; secret_hash: string },
  gracePeriod: number,
  now: Date,
  clock?: { now(): Date },
) {
  const token = issueToken(kind, row.lookup_id);
  const secretHash = await argon2Hash(token.token);
  // Stamped after the (slow) hash, just before the write: rotations that arrived before it raced this one.
  const at = clock ? clock.now() : now;
  const changes = {
    secret_hash: secretHash,
    start: token.token.slice(0, 7),
    previous_secret_hash: gracePeriod > 0 ? row.secret_hash : null,
    previous_expires_at: gracePeriod > 0 ? iso(addSeconds(at, gracePeriod)) : null,
    rotated_at: iso(at),
    updated_at: iso(at),
  };
  return { token, changes };
}

/**
 * Gives a key a new secret under the same id and lookup id. With `gracePeriod` seconds the
 * old secret keeps working until then (one previous secret at most); with 0 it stops at once.
 */
export async function rotateKey(
  deps: AppDeps, userId: string,
  input: { id: string; gracePeriod: number; ip: string | null; pin?: string | null | undefined; arrivedAt: Date },
) {
  const row = await findKey(deps.db, userId, input.id, input.pin);
  const now = deps.clock.now();
  const status = keyStatus(row, now);
  if (status === 'revoked' || status === 'expired') throw new HttpError('CONFLICT', `A ${status} key cannot be rotated; create a new one`);
  if (rotatedSince(row, input.arrivedAt)) throw ROTATED_MEANWHILE();
  const { token, changes } = await rotation('pat', row, input.gracePeriod, now, deps.clock);
  await deps.db.transaction().execute(async (trx) => {
    // Compare-and-swap on the secret this request read: of parallel rotations exactly one
    // writes; the others would hand out a secret that no longer works, so they answer 409.
    const swapped = await trx.updateTable('api_keys').set(changes)
      .where('id', '=', row.id).where('secret_hash', '=', row.secret_hash).where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (Number(swapped.numUpdatedRows) !== 1) throw ROTATED_MEANWHILE();
    await recordKeyEvent(trx, {
      keyId: row.id, userId, kind: 'rotated', detail: input.gracePeriod > 0 ? `previous secret valid for ${input.gracePeriod}s` : 'previous secret stopped at once', ip: input.ip, now,
    });
    await record(trx, { now, action: 'api_key.rotated', organizationId: row.organization_id, target: { type: 'api_key', id: row.id }, detail: { ...keyFacts(row), gracePeriod: input.gracePeriod } });
  });
  deps.keyVerifier.forget(row.id);
  deps.keyVerifier.forget(`${row.id}:previous`);
  return { row: { ...row, ...changes }, key: token.token };
}

/**
 * True when another rotation of the key was written after this request arrived: the two raced
 * (the other one merely reached the database first), so this one must not issue a secret too.
 * A rotation sent after the previous one answered arrives after its `rotated_at` and proceeds.
 */
export function rotatedSince(row: { rotated_at: string | null }, arrivedAt: Date): boolean {
  return row.rotated_at !== null && row.rotated_at > iso(arrivedAt);
}

/** The answer to the losers of parallel rotations (or a rotation racing a revocation). */
export const ROTATED_MEANWHILE = () =>
  new HttpError('CONFLICT', 'The key was rotated or revoked by another request meanwhile: no new secret was issued; read the key and try again');

/**
 * What a leak report did: `revoked` (the key's current secret: the key is revoked),
 * `grace-ended` (a retired secret still in its rotation grace period: only that secret stops,
 * the current one keeps working), `inactive` (nothing was active: a retired secret after its
 * grace period, an already revoked key, or no key of ours at all; these answer alike).
 */
export type LeakOutcome = 'revoked' | 'grace-ended' | 'inactive';

/**
 * Acts on a key someone found in the wild and records it for the owner. Reporting revokes
 * exactly the reported secret: only the current secret revokes the key; a retired one can at
 * most end its own grace period, so a stale copy cannot be used to kill the key that replaced it.
 * The answer never names the owner, and an inactive secret answers as a made-up one.
 */
export async function reportLeak(deps: AppDeps, key: string, ip: string | null): Promise<LeakOutcome> {
  const parsed = parseToken(key.trim(), 'pat');
  const row = parsed ? await deps.db.selectFrom('api_keys').selectAll().where('lookup_id', '=', parsed.lookupId).executeTakeFirst() : undefined;
  let matched: 'current' | 'previous' | null = null;
  if (row && parsed) {
    if (await argon2Verify(row.secret_hash, parsed.token)) matched = 'current';
    else if (row.previous_secret_hash !== null && (await argon2Verify(row.previous_secret_hash, parsed.token))) matched = 'previous';
  } else {
    await dummyVerify(key);
  }
  if (!row || !matched) return 'inactive';
  const now = deps.clock.now();
  const outcome = await deps.db.transaction().execute(async (trx): Promise<LeakOutcome> => {
    let outcome: LeakOutcome = 'inactive';
    let detail: string;
    if (matched === 'current') {
      const revoked = await trx.updateTable('api_keys').set({ revoked_at: iso(now), updated_at: iso(now) })
        .where('id', '=', row.id).where('secret_hash', '=', row.secret_hash).where('revoked_at', 'is', null).executeTakeFirst();
      if (Number(revoked.numUpdatedRows) === 1) outcome = 'revoked';
      detail = outcome === 'revoked' ? 'current secret reported as leaked; key revoked' : 'secret reported as leaked; the key was already revoked (or rotated meanwhile), nothing changed';
    } else {
      // A retired secret: end its grace period if it still runs; the key and its current secret stay.
      const ended = await trx.updateTable('api_keys').set({ previous_expires_at: iso(now), updated_at: iso(now) })
        .where('id', '=', row.id).where('previous_secret_hash', '=', row.previous_secret_hash).where('previous_expires_at', '>', iso(now))
        .executeTakeFirst();
      if (Number(ended.numUpdatedRows) === 1) outcome = 'grace-ended';
      detail = outcome === 'grace-ended'
        ? 'retired secret reported as leaked during its grace period; the grace period ended now, the current secret stays valid'
        : 'retired secret reported as leaked; it had already stopped working, nothing was revoked';
    }
    await recordKeyEvent(trx, { keyId: row.id, userId: row.user_id, kind: 'leak-reported', detail, ip, now });
    // Whoever reported it is nobody we know; the row belongs to the key's owner.
    await record(trx, {
      now, action: 'api_key.leaked', organizationId: row.organization_id, userId: row.user_id, actor: { type: 'anonymous', id: null, credentialKind: null, credentialId: null },
      target: { type: 'api_key', id: row.id }, detail: { ...keyFacts(row), outcome },
    });
    return outcome;
  });
  deps.keyVerifier.forget(row.id);
  deps.keyVerifier.forget(`${row.id}:previous`);
  const owner = await deps.db.selectFrom('users').select('email').where('id', '=', row.user_id).executeTakeFirst();
  if (owner) {
    const what = {
      revoked: { subject: 'was reported as leaked and revoked', text: 'It has been revoked. Create a new key and update wherever the old one was used.' },
      'grace-ended': {
        subject: 'had its previous secret reported as leaked',
        text: 'The reported secret was the one the key had before its last rotation; it stopped working now. The current secret stays valid.',
      },
      inactive: {
        subject: 'was reported as leaked (it was already inactive)',
        text: matched === 'current' ? 'The key was already revoked; nothing changed.' : 'The reported secret was retired by an earlier rotation and had already stopped working; the current secret stays valid.',
      },
    }[outcome];
    deps.mailer
      .send({
        to: owner.email,
        subject: `Your acct API key "${row.name}" ${what.subject}`,
        text: `Someone reported a secret of your API key "${row.name}" (id ${row.id}) as publicly exposed.\n${what.text}\n`,
      })
      .catch((err: unknown) => deps.logger.error({ err }, 'could not send the leak notice'));
  }
  return outcome;
}
