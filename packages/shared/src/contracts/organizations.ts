import { Type } from '@sinclair/typebox';
import { defineRoute } from '../contract.js';
import { Id, Name, Strict, Timestamp } from '../schemas.js';
import { ROLES } from '../scopes.js';

export const RoleName = Type.Union(ROLES.map((r) => Type.Literal(r)));
export const Slug = Type.String({ minLength: 2, maxLength: 48, pattern: '^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$' });

export const Organization = Type.Object({
  id: Id,
  name: Type.String(),
  slug: Type.String(),
  role: RoleName,
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

export const listOrganizations = defineRoute({
  method: 'GET', path: '/api/user/organizations', tag: 'organizations', auth: 'user', scope: 'organizations:read',
  // Where the Quick Start says to take the organization id from: a `user:read` key may list them too.
  orScopes: ['user:read'],
  summary: 'Organizations you belong to (a pinned key: only its organization), with your role', message: 'Organizations fetched successfully',
  data: Type.Array(Organization),
});

export const createOrganization = defineRoute({
  method: 'POST', path: '/api/user/organizations', tag: 'organizations', auth: 'user', scope: 'organizations:write',
  summary: 'Create an organization; you become its owner', message: 'Organization created', status: 201,
  body: Strict({ name: Name, slug: Type.Optional(Slug) }),
  data: Organization,
});

const org = '/api/user/organizations/:organizationId';

export const getOrganization = defineRoute({
  method: 'GET', path: org, tag: 'organizations', auth: 'user', scope: 'organizations:read', tenant: true,
  summary: 'One organization, with your role', message: 'Organization fetched successfully', data: Organization,
});

export const updateOrganization = defineRoute({
  method: 'PATCH', path: org, tag: 'organizations', auth: 'user', scope: 'organizations:write', tenant: true,
  summary: 'Rename an organization or change its slug (owners)', message: 'Organization updated',
  body: Strict({ name: Type.Optional(Name), slug: Type.Optional(Slug) }),
  data: Organization,
});

export const deleteOrganization = defineRoute({
  method: 'DELETE', path: org, tag: 'organizations', auth: 'session', scope: 'organizations:write', tenant: true,
  summary: 'Delete an organization and everything in it (owners, fresh signed-in session)', message: 'Organization deleted',
  data: Type.Object({ id: Id, deleted: Type.Literal(true) }),
});

export const leaveOrganization = defineRoute({
  method: 'POST', path: `${org}/leave`, tag: 'organizations', auth: 'session', scope: 'organizations:read', tenant: true,
  summary: 'Leave an organization (signed-in session; the last owner cannot leave)', message: 'You left the organization',
  data: Type.Object({ organizationId: Id, userId: Id, left: Type.Literal(true) }),
});
