import { Router } from 'express';
import { ROUTES } from '@acct/shared';
import type { AppDeps } from '../deps.js';
import type { IntakeEventRow } from '../db/schema.js';
import { bind, membershipOf, pinOf, principalOf, userOf } from '../http/bind.js';
import { iso } from '../time/clock.js';
import { HttpError } from '../http/http-error.js';
import { ulid } from '../db/ids.js';
import { decodeCursor, page } from '../http/pagination.js';
import { findMembership } from '../members/members.repository.js';
import { teamOfMember } from '../teams/teams.repository.js';
import { findTeam } from '../teams/teams.service.js';
import { insertIntakeEvent, listIntakeEvents } from './intake.repository.js';

function toIntakeEvent(row: IntakeEventRow) {
  return {
    id: row.id, teamId: row.team_id, via: { kind: row.via_kind as 'team-key' | 'pat', id: row.via_id }, size: row.size,
    payload: JSON.parse(row.payload) as unknown, receivedAt: row.created_at,
  };
}

/** Intake webhooks: `POST /api/intake/:teamId` stores a JSON payload; the team lists what arrived. */
export function intakeRoutes(deps: AppDeps, r: Router = Router()): Router {

  bind(r, deps, ROUTES.receiveIntake, async (ctx) => {
    const teamId = ctx.params['teamId'] ?? '';
    let via: { kind: 'team-key' | 'pat'; id: string };
    const principal = principalOf(ctx);
    if (principal.subject.kind === 'team') {
      via = { kind: 'team-key', id: principal.credential.id }; // bind() checked it is this team's key
    } else {
      const user = userOf(ctx);
      // A person's PAT (or session) may deliver only to a team they belong to; any other team is a 404.
      const member = await teamOfMember(deps.db, teamId, user.id);
      if (!member) throw new HttpError('NOT_FOUND', 'No such team, or you are not a member of it');
      const pin = pinOf(principal);
      if (pin && pin !== member.organization_id)
        throw new HttpError('ORGANIZATION_MISMATCH', 'The token is pinned to another organization');
      const inOrg = await findMembership(deps.db, member.organization_id, user.id);
      if (!inOrg) throw new HttpError('NOT_FOUND', 'No such team, or you are not a member of it');
      via = { kind: 'pat', id: principal.credential.id };
    }
    const payload = JSON.stringify(ctx.body ?? null);
    const now = deps.clock.now();
    const id = ulid(now.getTime());
    await insertIntakeEvent(deps.db, { id, team_id: teamId, via_kind: via.kind, via_id: via.id, size: Buffer.byteLength(payload), payload, created_at: iso(now) });
    return { data: { id, receivedAt: iso(now) } };
  });

  bind(r, deps, ROUTES.listIntake, async (ctx) => {
    const { organizationId } = membershipOf(ctx);
    const team = await findTeam(deps.db, organizationId, ctx.params['teamId'] ?? '');
    const limit = ctx.query.limit ?? 20;
    const cursor = decodeCursor(ctx.query.cursor);
    const { items, pagination } = page(await listIntakeEvents(deps.db, team.id, cursor, limit), limit);
    return { data: items.map(toIntakeEvent), pagination };
  });

  return r;
}
