import { ROLE_SCOPES, type ParsedToken, type Role, type Scope } from '@acct/shared';
import type { AppDeps } from '../deps.js';
import type { DB } from '../db/database.js';
import type { TeamKeyRow } from '../db/schema.js';
import { iso } from '../time/clock.js';
import { HttpError } from '../http/http-error.js';
import { ulid } from '../db/ids.js';
import { page } from '../http/pagination.js';
import { principal, type Carrier, type Principal } from '../auth/principal.js';
import {
  acceptSecret, assertRotatable, forgetSecrets, graceEndsAt, mintSecret, rotation, ROTATED_MEANWHILE, secretStatus, shouldRecordUse, type SecretStatus,
} from '../credentials/secret-credential.js';
import { recordUse, revokeSecret, swapSecret } from '../credentials/secret-credential.repository.js';
import { teamRole } from '../teams/teams.repository.js';
import { keyCacheUntil, parseScopes } from './key-auth.js';
import { cacheable } from '../auth/credential-cache.js';
import { findTeamKeyByLookupId, findTeamKeyRow, insertTeamKey, listTeamKeyRows } from './team-keys.repository.js';
import { record } from '../audit/audit.js';

/** What audit rows and webhook events say about a team key: never its secret, hash or start. */
function teamKeyFacts(row: TeamKeyRow) {
  return { name: row.name, teamId: row.team_id, scopes: JSON.parse(row.scopes) as string[] };
}

export function toTeamKey(row: TeamKeyRow, now: Date) {
  return {
    id: row.id, teamId: row.team_id, organizationId: row.organization_id, name: row.name, start: row.start,
    scopes: JSON.parse(row.scopes) as Scope[], status: secretStatus(row, now), createdBy: row.created_by,
    expiresAt: row.expires_at, lastUsedAt: row.last_used_at, lastUsedIp: row.last_used_ip, revokedAt: row.revoked_at,
    rotatedAt: row.rotated_at, previousSecretExpiresAt: graceEndsAt(row, now), createdAt: row.created_at,
  };
}

/** Organization owners and admins manage every team; otherwise only the team's own admins. */
export async function requireTeamAdmin(db: DB, input: { teamId: string; userId: string; orgRole: Role }): Promise<void> {
  if (input.orgRole === 'owner' || input.orgRole === 'admin') return;
  if ((await teamRole(db, input.teamId, input.userId)) !== 'admin') throw new HttpError('FORBIDDEN', 'Only team admins and organization admins manage team keys');
}

/** Mints a team key; a team key can hold at most what an organization member may do. */
export async function createTeamKey(deps: AppDeps, input: { organizationId: string; teamId: string; createdBy: string; name: string; scopes: Scope[]; expiresIn?: number | null }) {
  const beyond = input.scopes.filter((s) => !ROLE_SCOPES.member.has(s));
  if (beyond.length) {
    const message = `team keys can hold only member-level scopes; not allowed: ${beyond.join(', ')}`;
    throw new HttpError('VALIDATION_ERROR', message, [{ field: 'scopes', message }]);
  }
  const now = deps.clock.now();
  const { token, columns } = await mintSecret('teamKey', now, input.expiresIn);
  const row: TeamKeyRow = {
    id: `tk_${ulid(now.getTime())}`, team_id: input.teamId, organization_id: input.organizationId,
    name: input.name.trim() || input.name, scopes: JSON.stringify([...new Set(input.scopes)]), created_by: input.createdBy,
    ...columns, created_at: iso(now), updated_at: iso(now),
  };
  await deps.db.transaction().execute(async (trx) => {
    await insertTeamKey(trx, row);
    await record(trx, { now, action: 'team_key.created', organizationId: row.organization_id, target: { type: 'team_key', id: row.id }, detail: teamKeyFacts(row) });
  });
  return { row, key: token };
}

/** One page of a team's keys, newest first. */
export async function listTeamKeys(deps: AppDeps, input: { teamId: string; cursor: string | null; limit: number; status?: SecretStatus | undefined }) {
  const now = deps.clock.now();
  const { items, pagination } = page(await listTeamKeyRows(deps.db, { ...input, now }), input.limit);
  return { data: items.map((row) => toTeamKey(row, now)), pagination };
}

export async function findTeamKey(db: DB, teamId: string, keyId: string): Promise<TeamKeyRow> {
  const row = await findTeamKeyRow(db, teamId, keyId);
  if (!row) throw new HttpError('NOT_FOUND', 'No such team key');
  return row;
}

export async function revokeTeamKey(deps: AppDeps, teamId: string, keyId: string): Promise<TeamKeyRow> {
  const row = await findTeamKey(deps.db, teamId, keyId);
  if (row.revoked_at) return row;
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    await revokeSecret(trx, 'team_keys', row.id, now);
    await record(trx, { now, action: 'team_key.revoked', organizationId: row.organization_id, target: { type: 'team_key', id: row.id }, detail: teamKeyFacts(row) });
  });
  forgetSecrets(deps.keyVerifier, row.id);
  return { ...row, revoked_at: iso(now), updated_at: iso(now) };
}

export async function rotateTeamKey(deps: AppDeps, teamId: string, keyId: string, gracePeriod: number, arrivedAt: Date) {
  const row = await findTeamKey(deps.db, teamId, keyId);
  const now = deps.clock.now();
  assertRotatable(row, now, arrivedAt);
  const { token, changes } = await rotation('teamKey', row, gracePeriod, now, deps.clock);
  // Compare-and-swap, as for PATs: of parallel rotations exactly one issues a working secret.
  await deps.db.transaction().execute(async (trx) => {
    if (!(await swapSecret(trx, 'team_keys', row.id, row.secret_hash, changes))) throw ROTATED_MEANWHILE();
    await record(trx, { now, action: 'team_key.rotated', organizationId: row.organization_id, target: { type: 'team_key', id: row.id }, detail: { ...teamKeyFacts(row), gracePeriod } });
  });
  forgetSecrets(deps.keyVerifier, row.id);
  return { row: { ...row, ...changes }, key: token.token };
}

/** Resolves a team key like a PAT: one indexed read, Argon2 only on first use, status every time. */
export async function authenticateTeamKey(deps: AppDeps, token: ParsedToken, ip: string | null, carrier: Carrier): Promise<Principal> {
  const found = await findTeamKeyByLookupId(deps.db, token.lookupId);
  const now = deps.clock.now();
  const row = await acceptSecret(deps.keyVerifier, { id: found?.id ?? '', row: found, token, now, noun: 'team key' });
  let last = row.last_used_at ? new Date(row.last_used_at).getTime() : 0;
  if (shouldRecordUse(row, now, ip)) {
    recordUse(deps.db, 'team_keys', row.id, now, ip).catch((err: unknown) => deps.logger.warn({ err }, 'could not record team key use'));
    last = now.getTime();
  }
  return cacheable(
    principal(
      { kind: 'team', id: row.team_id, organizationId: row.organization_id },
      { kind: 'team-key', id: row.id, issuedAt: row.created_at, carrier },
      { scopes: parseScopes(row.scopes), organizationId: row.organization_id },
    ),
    { until: keyCacheUntil(row, last, now), ip },
  );
}
