import type { Request, Response } from 'express';
import { ROLE_SCOPES, type Role, type RouteContract, type Scope } from '@acct/shared';
import type { AppDeps } from '../deps.js';
import { prepared } from '../db/prepared.js';
import { HttpError } from '../http/http-error.js';
import type { Principal, Subject } from './principal.js';

/** The caller's membership in the organization of a tenant route's path. */
export interface Membership {
  organizationId: string;
  role: Role;
}

/** What a guard sees: the principal, the request's path parameters, and the membership so far. */
export interface GuardContext {
  deps: AppDeps;
  req: Request;
  res: Response;
  principal: Principal;
  /** Set by `requireTenant`; guards after it may read it. */
  membership: Membership | null;
}

/**
 * One authorisation check, reading only the principal (and the path it acts on). Throws an
 * HttpError to refuse; returns nothing (or a promise of nothing) to let the request through.
 */
export type Guard = (ctx: GuardContext) => void | Promise<void>;

const REFUSED_SUBJECT: Record<Subject['kind'], string> = {
  user: 'This route is not open to people',
  team: 'Team keys act for a team and cannot call this route; use a personal access token',
  client: 'This route acts for a person: a client token cannot call it',
};

/** Only these kinds of subject may call (people by default; team keys where a contract allows). */
export function requireSubject(kinds: readonly Subject['kind'][]): Guard {
  return function subjectGuard({ principal }) {
    if (!kinds.includes(principal.subject.kind)) throw new HttpError('FORBIDDEN', REFUSED_SUBJECT[principal.subject.kind]);
  };
}

/** Only a person signed in with a password: tokens cannot mint tokens or change credentials. */
export const requireSession: Guard = function sessionGuard({ principal }) {
  if (!principal.interactive) throw new HttpError('FORBIDDEN', 'This route needs a signed-in session: API keys cannot mint keys or change credentials');
};

function insufficientScope(any: readonly Scope[]): HttpError {
  const names = any.join(' or ');
  return new HttpError('INSUFFICIENT_SCOPE', `The token lacks the scope ${names}`, [{ field: 'scope', message: `requires ${names}` }], {
    'X-Accepted-Scopes': any.join(', '),
  });
}

/** The credential must hold `scope`, or one of `orScopes`. */
export function requireScope(scope: Scope, orScopes: readonly Scope[] = []): Guard {
  const any = [scope, ...orScopes];
  return function scopeGuard({ principal }) {
    if (principal.scopes === 'all') return;
    for (const s of any) if (principal.scopes.has(s)) return;
    throw insufficientScope(any);
  };
}

const membershipRole = prepared((db) => db.selectFrom('memberships').select('role').where('organization_id', '=', '').where('user_id', '=', ''));

/** True when the user is an admin of the team, and the team belongs to the organization. */
async function isTeamAdmin(deps: AppDeps, organizationId: string, teamId: string, userId: string): Promise<boolean> {
  const row = await deps.db
    .selectFrom('team_members').innerJoin('teams', 'teams.id', 'team_members.team_id').select('team_members.role')
    .where('teams.id', '=', teamId).where('teams.organization_id', '=', organizationId).where('team_members.user_id', '=', userId)
    .executeTakeFirst();
  return row?.role === 'admin';
}

/**
 * The path's organization (`:organizationId`): the principal's pin must be it, its subject must
 * belong to it, and the subject's role there must allow `scope`. A person's role is read now (a
 * removed member's keys stop at once); a team acts as a member of its own organization. With
 * `teamAdmin`, an admin of the path's team may whatever their organization role.
 */
export function requireTenant(opts: { scope?: Scope; teamAdmin?: boolean } = {}): Guard {
  const { scope, teamAdmin } = opts;
  return async function tenantGuard(ctx) {
    const { deps, req, principal } = ctx;
    const organizationId = String(req.params['organizationId'] ?? '');
    const subject = principal.subject;
    if (principal.organizationId !== null && principal.organizationId !== organizationId)
      throw new HttpError('ORGANIZATION_MISMATCH', subject.kind === 'team' ? 'The team key belongs to another organization' : 'The token is pinned to another organization');
    if (subject.kind !== 'user') {
      // A team acts in its own organization (the pin above), never beyond what a member may do.
      if (scope && !ROLE_SCOPES.member.has(scope)) throw new HttpError('FORBIDDEN', `Team keys cannot use ${scope}`);
      ctx.membership = { organizationId, role: 'member' };
      return;
    }
    const load = () => membershipRole.first(deps.db, [organizationId, subject.id]);
    const row = await (deps.credentialCache ? deps.credentialCache.membership(req, organizationId, subject.id, load) : load());
    if (!row) throw new HttpError('ORGANIZATION_MISMATCH', 'You are not a member of this organization');
    const role = row.role as Role;
    if (scope && !ROLE_SCOPES[role].has(scope)) {
      if (!teamAdmin || !(await isTeamAdmin(deps, organizationId, String(req.params['teamId'] ?? ''), subject.id)))
        throw new HttpError('FORBIDDEN', `Your role (${role}) does not allow ${scope}${teamAdmin ? ', and you are not an admin of this team' : ''}`);
    }
    ctx.membership = { organizationId, role };
  };
}

/** A team acts only for itself: a `:teamId` in the path must be its own. */
export const requireOwnTeam: Guard = function ownTeamGuard({ req, principal }) {
  const teamId = req.params['teamId'];
  if (principal.subject.kind === 'team' && teamId !== undefined && String(teamId) !== principal.subject.id)
    throw new HttpError('FORBIDDEN', 'A team key can only act for its own team');
};

/**
 * The guards a contract declares (shared/src/contract.ts: `auth`, `scope`, `tenant`, `teamKeys`,
 * `teamAdmin`), in the order their refusals take precedence. The contract stays the one source:
 * the OpenAPI document and the route matrices read the same fields.
 */
export function contractGuards(contract: RouteContract): Guard[] {
  if (contract.auth === 'public') return [];
  const guards: Guard[] = [requireSubject(contract.teamKeys ? ['user', 'team'] : ['user'])];
  if (contract.auth === 'session') guards.push(requireSession);
  if (contract.scope) guards.push(requireScope(contract.scope, contract.orScopes));
  if (contract.tenant) guards.push(requireTenant({ ...(contract.scope ? { scope: contract.scope } : {}), ...(contract.teamAdmin ? { teamAdmin: true } : {}) }));
  if (contract.teamKeys) guards.push(requireOwnTeam);
  return guards;
}
