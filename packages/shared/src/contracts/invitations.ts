import { Type } from '@sinclair/typebox';
import { defineRoute } from '../contract.js';
import { Email, Id, ListQuery, NullableTimestamp, Strict, Timestamp } from '../schemas.js';
import { Organization, RoleName } from './organizations.js';

export const InvitationStatus = Type.Union([Type.Literal('pending'), Type.Literal('accepted'), Type.Literal('revoked'), Type.Literal('expired')]);

/** An invitation to an organization: never its token. */
export const Invitation = Type.Object({
  id: Id,
  organization: Type.Object({ id: Id, name: Type.String(), slug: Type.String() }),
  email: Email,
  role: RoleName,
  status: InvitationStatus,
  invitedBy: Type.Union([Id, Type.Null()]),
  expiresAt: Timestamp,
  acceptedAt: NullableTimestamp,
  createdAt: Timestamp,
});

const InvitationToken = Type.String({ minLength: 1, maxLength: 100 });

export const listInvitations = defineRoute({
  method: 'GET', path: '/api/user/organizations/:organizationId/invitations', tag: 'members', auth: 'user', scope: 'members:read', tenant: true,
  summary: "The organization's invitations, newest first", message: 'Invitations fetched successfully',
  query: Strict({ ...ListQuery.properties, status: Type.Optional(InvitationStatus) }),
  data: Type.Array(Invitation),
});

export const revokeInvitation = defineRoute({
  method: 'DELETE', path: '/api/user/organizations/:organizationId/invitations/:invitationId', tag: 'members', auth: 'user', scope: 'members:write', tenant: true,
  summary: 'Revoke a pending invitation: its link stops working', message: 'Invitation revoked',
  data: Type.Object({ id: Id, revoked: Type.Literal(true) }),
});

export const listMyInvitations = defineRoute({
  method: 'GET', path: '/api/user/invitations', tag: 'members', auth: 'user', scope: 'organizations:read',
  summary: 'Pending invitations to your verified email address', message: 'Invitations fetched successfully',
  data: Type.Array(Invitation),
});

export const acceptInvitation = defineRoute({
  method: 'POST', path: '/api/user/invitations/:invitationId/accept', tag: 'members', auth: 'user', scope: 'organizations:write',
  summary: 'Join the organization as the invited address: verified, or proving it with the mailed token',
  message: 'Invitation accepted',
  body: Strict({ token: Type.Optional(InvitationToken) }),
  data: Organization,
});

export const viewInvitation = defineRoute({
  method: 'GET', path: '/api/invitations/:invitationId', tag: 'members', auth: 'public',
  summary: 'The mailed invitation link: what it invites to and how to accept it (a GET never changes state)',
  message: 'Sign in or sign up as the invited address, then POST the token from this link to the accept path',
  query: Strict({ token: InvitationToken }),
  data: Type.Object({
    id: Id,
    organization: Type.Object({ id: Id, name: Type.String() }),
    email: Email,
    role: RoleName,
    expiresAt: Timestamp,
    accept: Type.Object({ method: Type.Literal('POST'), path: Type.String(), body: Type.Array(Type.String(), { description: 'Fields to send: the token from this link' }) }),
  }),
});
