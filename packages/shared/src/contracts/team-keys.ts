import { Type } from '@sinclair/typebox';
import { defineRoute } from '../contract.js';
import { Id, ListQuery, NullableTimestamp, ScopeName, Strict, Timestamp } from '../schemas.js';
import { SCOPES } from '../scopes.js';
import { KeyStatusName } from './keys.js';

/** A team key as listings show it: it belongs to the team, not to the person who made it. */
export const TeamKey = Type.Object({
  id: Id,
  teamId: Id,
  organizationId: Id,
  name: Type.String(),
  start: Type.String(),
  scopes: Type.Array(ScopeName),
  status: KeyStatusName,
  createdBy: Type.Union([Id, Type.Null()]),
  expiresAt: NullableTimestamp,
  lastUsedAt: NullableTimestamp,
  lastUsedIp: Type.Union([Type.String(), Type.Null()]),
  revokedAt: NullableTimestamp,
  rotatedAt: NullableTimestamp,
  previousSecretExpiresAt: NullableTimestamp,
  createdAt: Timestamp,
});

const base = '/api/user/organizations/:organizationId/teams/:teamId/keys';

export const createTeamKey = defineRoute({
  method: 'POST', path: base, tag: 'teams', auth: 'session', scope: 'teams:write', tenant: true, teamAdmin: true,
  summary: 'Mint a team key (bt_…): organization owners and admins, or admins of this team; shown only in this response', message: 'Team key created', status: 201,
  body: Strict({
    name: Type.String({ minLength: 1, maxLength: 100 }),
    scopes: Type.Array(ScopeName, { minItems: 1, maxItems: Object.keys(SCOPES).length, uniqueItems: true }),
    expiresIn: Type.Optional(Type.Union([Type.Integer({ minimum: 60, maximum: 10 * 365 * 86400 }), Type.Null()])),
  }),
  data: Type.Intersect([TeamKey, Type.Object({ key: Type.String() })]),
});

export const listTeamKeys = defineRoute({
  method: 'GET', path: base, tag: 'teams', auth: 'user', scope: 'teams:read', tenant: true,
  summary: "The team's keys, newest first (never the secret)", message: 'Team keys fetched successfully',
  query: Strict({ ...ListQuery.properties, status: Type.Optional(KeyStatusName) }), data: Type.Array(TeamKey),
});

export const revokeTeamKey = defineRoute({
  method: 'POST', path: `${base}/:keyId/revoke`, tag: 'teams', auth: 'user', scope: 'teams:write', tenant: true, teamAdmin: true,
  summary: 'Revoke a team key: instant and permanent; it stays listed', message: 'Team key revoked', data: TeamKey,
});

export const rotateTeamKey = defineRoute({
  method: 'POST', path: `${base}/:keyId/rotate`, tag: 'teams', auth: 'session', scope: 'teams:write', tenant: true, teamAdmin: true,
  summary: 'New secret for the same team key, shown once; the old one stops now or after gracePeriod seconds', message: 'Team key rotated',
  body: Strict({ gracePeriod: Type.Optional(Type.Integer({ minimum: 0, maximum: 7 * 86400 })) }),
  data: Type.Intersect([TeamKey, Type.Object({ key: Type.String() })]),
});
