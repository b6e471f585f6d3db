import { Type } from '@sinclair/typebox';
import { defineRoute } from '../contract.js';
import { Email, Id, ListQuery, Strict, Timestamp } from '../schemas.js';
import { Invitation } from './invitations.js';
import { RoleName } from './organizations.js';

/** A member of an organization as listings show them. */
export const Member = Type.Object({
  userId: Id,
  email: Email,
  fullName: Type.String(),
  handle: Type.String(),
  role: RoleName,
  joinedAt: Timestamp,
});

const base = '/api/user/organizations/:organizationId/members';

export const listMembers = defineRoute({
  method: 'GET', path: base, tag: 'members', auth: 'user', scope: 'members:read', tenant: true,
  summary: 'Members of the organization and their roles', message: 'Members fetched successfully',
  query: ListQuery, data: Type.Array(Member),
});

export const inviteMember = defineRoute({
  method: 'POST', path: base, tag: 'members', auth: 'user', scope: 'members:write', tenant: true,
  summary: 'Invite someone by email with a role no higher than yours; mails a single-use link (7 days)',
  message: 'Invitation sent', status: 201,
  body: Strict({ email: Email, role: RoleName }),
  data: Invitation,
});

export const updateMember = defineRoute({
  method: 'PATCH', path: `${base}/:userId`, tag: 'members', auth: 'user', scope: 'members:write', tenant: true,
  summary: "Change a member's role (only owners grant owner; the last owner cannot be demoted)", message: 'Member updated',
  body: Strict({ role: RoleName }),
  data: Member,
});

export const removeMember = defineRoute({
  method: 'DELETE', path: `${base}/:userId`, tag: 'members', auth: 'user', scope: 'members:write', tenant: true,
  summary: 'Remove a member (their keys stop working for this organization at once)', message: 'Member removed',
  data: Type.Object({ userId: Id, removed: Type.Literal(true) }),
});
