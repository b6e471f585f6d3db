import { Type } from '@sinclair/typebox';
import { defineRoute } from '../contract.js';
import { Id, Strict, Timestamp } from '../schemas.js';
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
  summary: 'Organizations you belong to, with your role', message: 'Organizations fetched successfully',
  data: Type.Array(Organization),
});

export const createOrganization = defineRoute({
  method: 'POST', path: '/api/user/organizations', tag: 'organizations', auth: 'user', scope: 'organizations:write',
  summary: 'Create an organization; you become its owner', message: 'Organization created', status: 201,
  body: Strict({ name: Type.String({ minLength: 1, maxLength: 100 }), slug: Type.Optional(Slug) }),
  data: Organization,
});
