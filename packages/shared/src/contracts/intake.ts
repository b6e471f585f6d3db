import { Type } from '@sinclair/typebox';
import { defineRoute } from '../contract.js';
import { Id, ListQuery, Timestamp } from '../schemas.js';

export const IntakeEvent = Type.Object({
  id: Id,
  teamId: Id,
  /** The credential that delivered it: `team-key` or `pat`, and its id. */
  via: Type.Object({ kind: Type.Union([Type.Literal('team-key'), Type.Literal('pat')]), id: Id }),
  size: Type.Integer(),
  payload: Type.Unknown(),
  receivedAt: Timestamp,
});

export const receiveIntake = defineRoute({
  method: 'POST', path: '/api/intake/:teamId', tag: 'intake', auth: 'user', scope: 'intake:write', teamKeys: true,
  summary: "Deliver a JSON payload to a team's intake webhook (a team member's PAT or that team's key)",
  message: 'Payload received', status: 202,
  body: Type.Unknown({ description: 'Any JSON value, up to ACCT_INTAKE_BODY_LIMIT bytes' }),
  data: Type.Object({ id: Id, receivedAt: Timestamp }),
});

export const listIntake = defineRoute({
  method: 'GET', path: '/api/user/organizations/:organizationId/teams/:teamId/intake', tag: 'intake', auth: 'user', scope: 'teams:read', tenant: true, teamKeys: true,
  summary: "What arrived at the team's intake webhook, newest first", message: 'Intake fetched successfully',
  query: ListQuery, data: Type.Array(IntakeEvent),
});
