import { Type } from '@sinclair/typebox';
import { defineRoute } from '../contract.js';
import { Id, ListQuery, Name, Strict, Timestamp } from '../schemas.js';

export const Project = Type.Object({
  id: Id,
  organizationId: Id,
  name: Type.String(),
  description: Type.String(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

const ProjectName = Name;
const Description = Type.String({ maxLength: 2000 });
const base = '/api/user/organizations/:organizationId/projects';

/** Sort keys of the project list; `-` sorts descending. Each keeps its own keyset cursor. */
export const ProjectSort = Type.Union([Type.Literal('createdAt'), Type.Literal('-createdAt'), Type.Literal('name'), Type.Literal('-name')], { default: 'createdAt' });

export const ProjectListQuery = Strict({
  ...ListQuery.properties,
  sort: Type.Optional(ProjectSort),
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Only projects whose name contains this, ignoring case' })),
});

export const listProjects = defineRoute({
  method: 'GET', path: base, tag: 'projects', auth: 'user', scope: 'projects:read', tenant: true,
  summary: "The organization's projects (oldest first unless `sort` says otherwise), optionally filtered by name", message: 'Projects fetched successfully',
  query: ProjectListQuery, data: Type.Array(Project),
});

export const createProject = defineRoute({
  method: 'POST', path: base, tag: 'projects', auth: 'user', scope: 'projects:write', tenant: true,
  summary: 'Create a project (costs credits, see ACCT_CREDIT_COSTS)', message: 'Project created', status: 201,
  body: Strict({ name: ProjectName, description: Type.Optional(Description) }),
  data: Project,
});

export const getProject = defineRoute({
  method: 'GET', path: `${base}/:projectId`, tag: 'projects', auth: 'user', scope: 'projects:read', tenant: true,
  summary: 'One project', message: 'Project fetched successfully', data: Project,
});

export const updateProject = defineRoute({
  method: 'PATCH', path: `${base}/:projectId`, tag: 'projects', auth: 'user', scope: 'projects:write', tenant: true,
  summary: 'Rename or describe a project', message: 'Project updated',
  body: Strict({ name: Type.Optional(ProjectName), description: Type.Optional(Description) }),
  data: Project,
});

export const deleteProject = defineRoute({
  method: 'DELETE', path: `${base}/:projectId`, tag: 'projects', auth: 'user', scope: 'projects:write', tenant: true,
  summary: 'Delete a project', message: 'Project deleted', data: Type.Object({ id: Id, deleted: Type.Literal(true) }),
});
