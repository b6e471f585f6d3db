import { Type } from '@sinclair/typebox';
import { defineRoute } from '../contract.js';
import { Id, ListQuery, Strict, Timestamp } from '../schemas.js';

/** Who acted: a person (by session, PAT or OAuth token), a team key, or nobody known (a failed sign-in). */
export const AuditActor = Type.Object({
  type: Type.Union([Type.Literal('user'), Type.Literal('team_key'), Type.Literal('oauth_client'), Type.Literal('anonymous')]),
  /** The user, team or OAuth client id. */
  id: Type.Union([Type.String(), Type.Null()]),
  /** `session`, `pat`, `team-key`, `oauth`, or null. */
  credentialKind: Type.Union([Type.String(), Type.Null()]),
  credentialId: Type.Union([Type.String(), Type.Null()]),
});

export const AuditEntry = Type.Object({
  id: Id,
  createdAt: Timestamp,
  action: Type.String(),
  outcome: Type.Union([Type.Literal('success'), Type.Literal('failure')]),
  actor: AuditActor,
  target: Type.Union([Type.Object({ type: Type.String(), id: Type.String() }), Type.Null()]),
  organizationId: Type.Union([Id, Type.Null()]),
  ip: Type.Union([Type.String(), Type.Null()]),
  userAgent: Type.Union([Type.String(), Type.Null()]),
  requestId: Type.Union([Type.String(), Type.Null()]),
  detail: Type.Record(Type.String(), Type.Unknown()),
});

export const AuditQuery = Strict({
  ...ListQuery.properties,
  action: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z_]+(\\.[a-z_*]+)?$', description: 'An action (`project.deleted`) or a family (`project.*`)' })),
  actor: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Only entries by this user, team or client id' })),
  since: Type.Optional(Type.String({ format: 'date-time', description: 'Only entries at or after this time' })),
  until: Type.Optional(Type.String({ format: 'date-time', description: 'Only entries before this time' })),
});

export const listOrganizationAuditLog = defineRoute({
  method: 'GET', path: '/api/user/organizations/:organizationId/audit-log', tag: 'audit', auth: 'user', scope: 'audit:read', tenant: true,
  summary: "The organization's audit log, newest first", message: 'Audit log fetched successfully',
  query: AuditQuery, data: Type.Array(AuditEntry),
});

export const listUserAuditLog = defineRoute({
  method: 'GET', path: '/api/user/audit-log', tag: 'audit', auth: 'user', scope: 'audit:read',
  summary: 'Your own security events (sign-ins, failures, password and key changes), newest first', message: 'Audit log fetched successfully',
  query: AuditQuery, data: Type.Array(AuditEntry),
});
