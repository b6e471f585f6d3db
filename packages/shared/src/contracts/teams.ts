import { Type } from '@sinclair/typebox';
import { defineRoute } from '../contract.js';
import { Email, Id, ListQuery, Name, Strict, Timestamp } from '../schemas.js';
import { Slug } from './organizations.js';

export const TeamRole = Type.Union([Type.Literal('admin'), Type.Literal('member')]);
const TeamName = Name;

export const Team = Type.Object({
  id: Id,
  organizationId: Id,
  name: Type.String(),
  slug: Type.Union([Type.String(), Type.Null()]),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

export const TeamMember = Type.Object({
  userId: Id,
  email: Email,
  fullName: Type.String(),
  role: TeamRole,
  addedAt: Timestamp,
});

const base = '/api/user/organizations/:organizationId/teams';

export const listTeams = defineRoute({
  method: 'GET', path: base, tag: 'teams', auth: 'user', scope: 'teams:read', tenant: true,
  summary: "The organization's teams, oldest first", message: 'Teams fetched successfully',
  query: ListQuery, data: Type.Array(Team),
});

export const createTeam = defineRoute({
  method: 'POST', path: base, tag: 'teams', auth: 'user', scope: 'teams:write', tenant: true,
  summary: 'Create a team', message: 'Team created', status: 201,
  body: Strict({ name: TeamName, slug: Type.Optional(Slug) }),
  data: Team,
});

export const getTeam = defineRoute({
  method: 'GET', path: `${base}/:teamId`, tag: 'teams', auth: 'user', scope: 'teams:read', tenant: true,
  summary: 'One team', message: 'Team fetched successfully', data: Team,
});

export const updateTeam = defineRoute({
  method: 'PATCH', path: `${base}/:teamId`, tag: 'teams', auth: 'user', scope: 'teams:write', tenant: true,
  summary: 'Rename a team or change its slug (null clears it)', message: 'Team updated',
  body: Strict({ name: Type.Optional(TeamName), slug: Type.Optional(Type.Union([Slug, Type.Null()])) }),
  data: Team,
});

export const deleteTeam = defineRoute({
  method: 'DELETE', path: `${base}/:teamId`, tag: 'teams', auth: 'user', scope: 'teams:write', tenant: true,
  summary: 'Delete a team and its memberships', message: 'Team deleted',
  data: Type.Object({ id: Id, deleted: Type.Literal(true) }),
});

export const listTeamMembers = defineRoute({
  method: 'GET', path: `${base}/:teamId/members`, tag: 'teams', auth: 'user', scope: 'teams:read', tenant: true,
  summary: 'Members of a team', message: 'Team members fetched successfully',
  query: ListQuery, data: Type.Array(TeamMember),
});

export const addTeamMember = defineRoute({
  method: 'POST', path: `${base}/:teamId/members`, tag: 'teams', auth: 'user', scope: 'teams:write', tenant: true,
  summary: 'Add a member of the organization to a team', message: 'Team member added', status: 201,
  body: Strict({ userId: Id, role: Type.Optional(TeamRole) }),
  data: TeamMember,
});

export const removeTeamMember = defineRoute({
  method: 'DELETE', path: `${base}/:teamId/members/:userId`, tag: 'teams', auth: 'user', scope: 'teams:write', tenant: true,
  summary: 'Remove someone from a team', message: 'Team member removed',
  data: Type.Object({ teamId: Id, userId: Id, removed: Type.Literal(true) }),
});
