import { issueToken, ROLE_SCOPES, type ParsedToken, type Role, type Scope } from '@acct/shared';
import type { AppDeps } from '../deps.js';
import type { DB } from '../db/database.js';
import type { TeamKeyRow } from '../db/schema.js';
import { addSeconds, iso } from '../time/clock.js';
import { HttpError } from '../http/http-error.js';
import { ulid } from '../db/ids.js';
import { argon2Hash } from '../auth/hashing.js';
import { principal, type Carrier, type Principal } from '../auth/principal.js';
import { LAST_USED_INTERVAL_MS, parseScopes, verifyWithGrace } from './key-auth.js';
import { keyStatus, ROTATED_MEANWHILE, rotatedSince, rotation } from './keys.service.js';
import { record } from '../audit/audit.js';

/** What audit rows and webhook events say about a team key: never its secret, hash or start. */
function teamKeyFacts(row: TeamKeyRow) {
  return { name: row.name, teamId: row.team_id, scopes: JSON.parse(row.scopes) as string[] };
}

export function toTeamKey(row: TeamKeyRow, now: Date) {
  const graceLive = row.previous_expires_at && new Date(row.previous_expires_at) > now;
  return {
    id: row.id, teamId: row.team_id, organizationId: row.organization_id, name: row.name, start: row.start,
    scopes: JSON.parse(row.scopes) as Scope[], status: keyStatus({ ...row, enabled: 1 }, now), createdBy: row.created_by,
    expiresAt: row.expires_at, lastUsedAt: row.last_used_at, lastUsedIp: row.last_used_ip, revokedAt: row.revoked_at,
    rotatedAt: row.rotated_at, previousSecretExpiresAt: graceLive ? row.previous_expires_at : null, createdAt: row.created_at,
  };
}

/** The team of a tenant path, inside that organization (someone else's team is a 404). */
export async function findTeam(db: DB, organizationId: string, teamId: string) {
  const team = await db.selectFrom('teams').select(['id', 'organization_id']).where('id', '=', teamId).where('organization_id', '=', organizationId).executeTakeFirst();
  if (!team) throw new HttpError('NOT_FOUND', 'No such team in this organization');
  return team;
}

/** Organization owners and admins manage every team; otherwise only the team's own admins. */
export async function requireTeamAdmin(db: DB, input: { teamId: string; userId: string; orgRole: Role }): Promise<void> {
  if (input.orgRole === 'owner' || input.orgRole === 'admin') return;
  const member = await db.selectFrom('team_members').select('role').where('team_id', '=', input.teamId).where('user_id', '=', input.userId).executeTakeFirst();
  if (member?.role !== 'admin') throw new HttpError('FORBIDDEN', 'Only team admins and organization admins manage team keys');
}

/** Mints a team key; a team key can hold at most what an organization member may do. */
export async function createTeamKey(deps: AppDeps, input: { organizationId: string; teamId: string; createdBy: string; name: string; scopes: Scope[]; expiresIn?: number | null }) {
  const beyond = input.scopes.filter((s) => !ROLE_SCOPES.member.has(s));
  if (beyond.length) {
    const message = `team keys can hold only member-level scopes; not allowed: ${beyond.join(', ')}`;
    throw new HttpError('VALIDATION_ERROR', message, [{ field: 'scopes', message }]);
  }
  const now = deps.clock.now();
  const token = issueToken('teamKey');
  const row: TeamKeyRow = {
    id: `tk_${ulid(now.getTime())}`, lookup_id: token.lookupId, team_id: input.teamId, organization_id: input.organizationId,
    name: input.name.trim() || input.name, start: token.token.slice(0, 7), secret_hash: await argon2Hash(token.token),
    scopes: JSON.stringify([...new Set(input.scopes)]), created_by: input.createdBy,
    expires_at: input.expiresIn ? iso(addSeconds(now, input.expiresIn)) : null, revoked_at: null, last_used_at: null, last_used_ip: null,
    previous_secret_hash: null, previous_expires_at: null, rotated_at: null, created_at: iso(now), updated_at: iso(now),
  };
  await deps.db.transaction().execute(async (trx) => {
    await trx.insertInto('team_keys').values(row).execute();
    await record(trx, { now, action: 'team_key.created', organizationId: row.organization_id, target: { type: 'team_key', id: row.id }, detail: teamKeyFacts(row) });
  });
  return { row, key: token.token };
}

export async function findTeamKey(db: DB, teamId: string, keyId: string): Promise<TeamKeyRow> {
  const row = await db.selectFrom('team_keys').selectAll().where('id', '=', keyId).where('team_id', '=', teamId).executeTakeFirst();
  if (!row) throw new HttpError('NOT_FOUND', 'No such team key');
  return row;
}

export async function revokeTeamKey(deps: AppDeps, teamId: string, keyId: string): Promise<TeamKeyRow> {
  const row = await findTeamKey(deps.db, teamId, keyId);
  if (row.revoked_at) return row;
  const now = iso(deps.clock.now());
  await deps.db.transaction().execute(async (trx) => {
    await trx.updateTable('team_keys').set({ revoked_at: now, updated_at: now }).where('id', '=', row.id).where('revoked_at', 'is', null).execute();
    await record(trx, { action: 'team_key.revoked', organizationId: row.organization_id, target: { type: 'team_key', id: row.id }, detail: teamKeyFacts(row) });
  });
  deps.keyVerifier.forget(row.id);
  return { ...row, revoked_at: now, updated_at: now };
}

export async function rotateTeamKey(deps: AppDeps, teamId: string, keyId: string, gracePeriod: number, arrivedAt: Date) {
  const row = await findTeamKey(deps.db, teamId, keyId);
  const now = deps.clock.now();
  const status = keyStatus({ ...row, enabled: 1 }, now);
  if (status !== 'active') throw new HttpError('CONFLICT', `A ${status} key cannot be rotated; create a new one`);
  if (rotatedSince(row, arrivedAt)) throw ROTATED_MEANWHILE();
  const { token, changes } = await rotation('teamKey', row, gracePeriod, now, deps.clock);
  // Compare-and-swap, as for PATs: of parallel rotations exactly one issues a working secret.
  await deps.db.transaction().execute(async (trx) => {
    const swapped = await trx.updateTable('team_keys').set(changes)
      .where('id', '=', row.id).where('secret_hash', '=', row.secret_hash).where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (Number(swapped.numUpdatedRows) !== 1) throw ROTATED_MEANWHILE();
    await record(trx, { action: 'team_key.rotated', organizationId: row.organization_id, target: { type: 'team_key', id: row.id }, detail: { ...teamKeyFacts(row), gracePeriod } });
  });
  deps.keyVerifier.forget(row.id);
  deps.keyVerifier.forget(`${row.id}:previous`);
  return { row: { ...row, ...changes }, key: token.token };
}

/** Resolves a team key like a PAT: one indexed read, Argon2 only on first use, status every time. */
export async function authenticateTeamKey(deps: AppDeps, token: ParsedToken, ip: string | null, carrier: Carrier): Promise<Principal> {
  const row = await deps.db.selectFrom('team_keys').selectAll().where('lookup_id', '=', token.lookupId).executeTakeFirst();
  const now = deps.clock.now();
  if (!row || !(await verifyWithGrace(deps.keyVerifier, row.id, row, token, now))) throw new HttpError('INVALID_TOKEN', 'The team key is invalid');
  const status = keyStatus({ ...row, enabled: 1 }, now);
  if (status === 'revoked') throw new HttpError('INVALID_TOKEN', 'The team key has been revoked');
  if (status === 'expired') throw new HttpError('TOKEN_EXPIRED', 'The team key has expired');
  const last = row.last_used_at ? new Date(row.last_used_at).getTime() : 0;
  if (now.getTime() - last > LAST_USED_INTERVAL_MS || row.last_used_ip !== ip) {
    deps.db.updateTable('team_keys').set({ last_used_at: iso(now), last_used_ip: ip }).where('id', '=', row.id)
      .execute().catch((err: unknown) => deps.logger.warn({ err }, 'could not record team key use'));
  }
  return principal(
    { kind: 'team', id: row.team_id, organizationId: row.organization_id },
    { kind: 'team-key', id: row.id, issuedAt: row.created_at, carrier },
    { scopes: parseScopes(row.scopes), organizationId: row.organization_id },
  );
}
