import { parseToken, type Scope } from '@acct/shared';
import type { AppDeps } from '../deps.js';
import type { DB } from '../db/database.js';
import type { ApiKeyRow, KeyEventRow } from '../db/schema.js';
import { iso } from '../time/clock.js';
import { page } from '../http/pagination.js';
import { HttpError } from '../http/http-error.js';
import { ulid } from '../db/ids.js';
import { argon2Verify, dummyVerify } from '../auth/hashing.js';
import { assertRotatable, forgetSecrets, graceEndsAt, mintSecret, rotation, ROTATED_MEANWHILE, secretStatus, type SecretStatus } from '../credentials/secret-credential.js';
import { endGrace, revokeSecret, swapSecret } from '../credentials/secret-credential.repository.js';
import { findMembership } from '../members/members.repository.js';
import { findKeyByLookupId, findUserKey, insertKey, insertKeyEvent, keyEvents, listUserKeys, updateKeyColumns, type KeyEventKind } from './keys.repository.js';
import { findUserEmail } from '../users/users.repository.js';
import { record } from '../audit/audit.js';

export type KeyStatus = SecretStatus;
export type { KeyEventKind };
/** A key's status at `now` (the rule every secret credential shares; OAuth introspection reads PATs with it). */
export const keyStatus = secretStatus;

/** The API shape of a key: never the secret or its hash. */
export function toApiKey(row: ApiKeyRow, now: Date) {
  return {
    id: row.id,
    name: row.name,
    start: row.start,
    scopes: JSON.parse(row.scopes) as Scope[],
    organizationId: row.organization_id,
    enabled: row.enabled === 1,
    status: secretStatus(row, now),
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
    lastUsedIp: row.last_used_ip,
    revokedAt: row.revoked_at,
    rotatedAt: row.rotated_at,
    previousSecretExpiresAt: graceEndsAt(row, now),
    createdAt: row.created_at,
  };
}

export function toKeyEvent(row: KeyEventRow) {
  return { id: row.id, kind: row.kind as KeyEventKind, detail: row.detail, ip: row.ip, createdAt: row.created_at };
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
  if (input.organizationId && !(await findMembership(db, input.organizationId, userId))) {
    throw new HttpError('ORGANIZATION_MISMATCH', 'You can only pin a key to an organization you belong to');
  }
  const now = clock.now();
  const { token, columns } = await mintSecret('pat', now, input.expiresIn);
  const row: ApiKeyRow = {
    id: `ak_${ulid(now.getTime())}`,
    user_id: userId,
    name: input.name,
    scopes: JSON.stringify([...new Set(input.scopes)]),
    organization_id: input.organizationId ?? null,
    enabled: 1,
    ...columns,
    created_at: iso(now),
    updated_at: iso(now),
  };
  await db.transaction().execute(async (trx) => {
    await insertKey(trx, row);
    await insertKeyEvent(trx, { keyId: row.id, userId, kind: 'created', detail: `scopes ${row.scopes}`, ip: input.ip, now });
    await record(trx, { now, action: 'api_key.created', organizationId: row.organization_id, target: { type: 'api_key', id: row.id }, detail: keyFacts(row) });
  });
  return { row, key: token };
}

/**
 * One of the user's keys; someone else's key is the same 404 as no key. `pin` is the
 * organization the calling key is pinned to: such a caller sees only keys pinned to that same
 * organization, so the owner's unpinned keys and keys of other organizations are 404 too.
 */
export async function findKey(db: DB, userId: string, id: string, pin?: string | null): Promise<ApiKeyRow> {
  const row = await findUserKey(db, userId, id, pin);
  if (!row) throw new HttpError('NOT_FOUND', 'No such API key');
  return row;
}

/** One page of the user's keys, newest first; a pinned caller (`pin`) lists only keys pinned to its organization. */
export async function listKeys(deps: AppDeps, userId: string, input: { pin: string | null; cursor: string | null; limit: number; status?: KeyStatus | undefined }) {
  const now = deps.clock.now();
  const { items, pagination } = page(await listUserKeys(deps.db, { userId, ...input, now }), input.limit);
  return { data: items.map((row) => toApiKey(row, now)), pagination };
}

/** A key with its history (the first 100 events). */
export async function keyWithEvents(deps: AppDeps, userId: string, id: string, pin: string | null) {
  const row = await findKey(deps.db, userId, id, pin);
  const events = await keyEvents(deps.db, row.id);
  return { ...toApiKey(row, deps.clock.now()), events: events.map(toKeyEvent) };
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
    await updateKeyColumns(trx, row.id, { ...changes, updated_at: iso(now) });
    await insertKeyEvent(trx, { keyId: row.id, userId, kind: 'updated', detail: Object.keys(changes).join(', '), ip: input.ip, now });
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
    await revokeSecret(trx, 'api_keys', row.id, now);
    await insertKeyEvent(trx, { keyId: row.id, userId, kind: 'revoked', detail: reason, ip, now });
    await record(trx, { now, action: 'api_key.revoked', organizationId: row.organization_id, target: { type: 'api_key', id: row.id }, detail: keyFacts(row) });
  });
  forgetSecrets(deps.keyVerifier, row.id);
  return { ...row, revoked_at: iso(now), updated_at: iso(now) };
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
  assertRotatable(row, now, input.arrivedAt);
  const { token, changes } = await rotation('pat', row, input.gracePeriod, now, deps.clock);
  await deps.db.transaction().execute(async (trx) => {
    // Of parallel rotations exactly one writes; the others would hand out a secret that no longer works, so they answer 409.
    if (!(await swapSecret(trx, 'api_keys', row.id, row.secret_hash, changes))) throw ROTATED_MEANWHILE();
    await insertKeyEvent(trx, {
      keyId: row.id, userId, kind: 'rotated', detail: input.gracePeriod > 0 ? `previous secret valid for ${input.gracePeriod}s` : 'previous secret stopped at once', ip: input.ip, now,
    });
    await record(trx, { now, action: 'api_key.rotated', organizationId: row.organization_id, target: { type: 'api_key', id: row.id }, detail: { ...keyFacts(row), gracePeriod: input.gracePeriod } });
  });
  forgetSecrets(deps.keyVerifier, row.id);
  return { row: { ...row, ...changes }, key: token.token };
}

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
  const row = parsed ? await findKeyByLookupId(deps.db, parsed.lookupId) : undefined;
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
      if (await revokeSecret(trx, 'api_keys', row.id, now, row.secret_hash)) outcome = 'revoked';
      detail = outcome === 'revoked' ? 'current secret reported as leaked; key revoked' : 'secret reported as leaked; the key was already revoked (or rotated meanwhile), nothing changed';
    } else {
      // A retired secret: end its grace period if it still runs; the key and its current secret stay.
      if (row.previous_secret_hash !== null && (await endGrace(trx, 'api_keys', row.id, row.previous_secret_hash, now))) outcome = 'grace-ended';
      detail = outcome === 'grace-ended'
        ? 'retired secret reported as leaked during its grace period; the grace period ended now, the current secret stays valid'
        : 'retired secret reported as leaked; it had already stopped working, nothing was revoked';
    }
    await insertKeyEvent(trx, { keyId: row.id, userId: row.user_id, kind: 'leak-reported', detail, ip, now });
    // Whoever reported it is nobody we know; the row belongs to the key's owner.
    await record(trx, {
      now, action: 'api_key.leaked', organizationId: row.organization_id, userId: row.user_id, actor: { type: 'anonymous', id: null, credentialKind: null, credentialId: null },
      target: { type: 'api_key', id: row.id }, detail: { ...keyFacts(row), outcome },
    });
    return outcome;
  });
  forgetSecrets(deps.keyVerifier, row.id);
  const owner = await findUserEmail(deps.db, row.user_id);
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
        to: owner,
        subject: `Your acct API key "${row.name}" ${what.subject}`,
        text: `Someone reported a secret of your API key "${row.name}" (id ${row.id}) as publicly exposed.\n${what.text}\n`,
      })
      .catch((err: unknown) => deps.logger.error({ err }, 'could not send the leak notice'));
  }
  return outcome;
}
