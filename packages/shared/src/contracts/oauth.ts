import { Type } from '@sinclair/typebox';
import { defineRoute } from '../contract.js';
import { Id, ListQuery, NullableTimestamp, Strict, Timestamp } from '../schemas.js';

/** A connected app: one grant a user gave an OAuth client (never a token). */
export const OAuthGrant = Type.Object({
  id: Id,
  clientId: Type.String(),
  clientName: Type.String(),
  scopes: Type.Array(Type.String()),
  resource: Type.Union([Type.String(), Type.Null()]),
  organizationId: Type.Union([Id, Type.Null()]),
  userId: Id,
  createdAt: Timestamp,
  lastUsedAt: NullableTimestamp,
  revokedAt: NullableTimestamp,
});

export const listOAuthGrants = defineRoute({
  method: 'GET', path: '/api/user/oauth/grants', tag: 'oauth', auth: 'user', scope: 'api-keys:read',
  summary: 'Connected apps: the OAuth grants you gave that are still live, newest first', message: 'Connected apps fetched successfully',
  query: Strict({ ...ListQuery.properties }), data: Type.Array(OAuthGrant),
});

export const revokeOAuthGrant = defineRoute({
  method: 'DELETE', path: '/api/user/oauth/grants/:grantId', tag: 'oauth', auth: 'user', scope: 'api-keys:write',
  summary: "Disconnect an app: its grant and every token issued from it stop at once", message: 'Connected app revoked', data: OAuthGrant,
});

export const listOrganizationOAuthGrants = defineRoute({
  method: 'GET', path: '/api/user/organizations/:organizationId/oauth/grants', tag: 'oauth', auth: 'user', scope: 'members:write', tenant: true,
  summary: "Apps holding live grants limited to this organization (owners and admins)", message: 'Connected apps fetched successfully',
  query: Strict({ ...ListQuery.properties }), data: Type.Array(OAuthGrant),
});
