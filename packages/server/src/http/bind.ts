import type { Request, Response, Router } from 'express';
import { ROLE_SCOPES, validate, validateQuery, type BodyOf, type DataOf, type Pagination, type QueryOf, type Role, type RouteContract } from '@acct/shared';
import type { AppDeps } from '../deps.js';
import { hasScope, isTeamCaller, type Principal, type TeamPrincipal } from '../auth/principal.js';
import { authenticate } from '../middleware/authenticate.js';
import { logRequest } from '../middleware/access-log.js';
import { prepared } from '../db/prepared.js';
import { announceChanges, trackingWrites } from '../auth/invalidation.js';
import { sendEnvelope } from './envelope.js';
import { HttpError } from './http-error.js';

/** The caller's membership in the organization of a tenant route's path. */
export interface Membership {
  organizationId: string;
  role: Role;
}

export interface RouteContext<C extends RouteContract> {
  req: Request;
  res: Response;
  deps: AppDeps;
  params: Record<string, string>;
  body: BodyOf<C>;
  query: QueryOf<C>;
  /** The person calling; null on public routes and when a team key calls. */
  principal: Principal | null;
  /** The team calling through a team key (routes with `teamKeys: true` only). */
  team: TeamPrincipal | null;
  /** Set on tenant routes. */
  membership: Membership | null;
  /** When the request reached its route, before authentication: what "meanwhile" is measured from. */
  arrivedAt: Date;
}

export interface Reply<D> {
  data: D;
  message?: string;
  status?: number;
  pagination?: Pagination;
  /** Answer a browser with this page instead of the envelope (mailed-link pages). */
  html?: string;
}

export type Handler<C extends RouteContract> = (ctx: RouteContext<C>) => Promise<Reply<DataOf<C>>>;

/** The principal of a non-public route. */
export function principalOf(ctx: { principal: Principal | null }): Principal {
  if (!ctx.principal) throw new HttpError('UNAUTHORIZED');
  return ctx.principal;
}

/**
 * The organization the calling key is pinned to, or null (sessions and unpinned keys). Account
 * routes (outside `/organizations/:organizationId`) narrow what they show and change to it: a
 * pinned key sees and manages only what belongs to its own organization.
 */
export function pinOf(principal: Principal): string | null {
  return principal.credential.kind === 'pat' ? principal.credential.organizationId : null;
}

/** The membership of a tenant route. */
export function membershipOf(ctx: { membership: Membership | null }): Membership {
  if (!ctx.membership) throw new HttpError('ORGANIZATION_MISMATCH');
  return ctx.membership;
}

const scopeHeaders = new WeakMap<ReadonlySet<string>, string>();
/** `X-Token-Scopes`; scope sets are shared per distinct list (parseScopes), so the text is too. */
function scopeHeader(scopes: ReadonlySet<string>): string {
  let text = scopeHeaders.get(scopes);
  if (text === undefined) scopeHeaders.set(scopes, (text = [...scopes].join(', ')));
  return text;
}

function insufficientScope(scope: string, orScopes: readonly string[] = []): HttpError {
  if (orScopes.length === 0)
    return new HttpError('INSUFFICIENT_SCOPE', `The token lacks the scope ${scope}`, [{ field: 'scope', message: `requires ${scope}` }], {
      'X-Accepted-Scopes': scope,
    });
  const any = [scope, ...orScopes];
  return new HttpError('INSUFFICIENT_SCOPE', `The token lacks the scope ${any.join(' or ')}`, [{ field: 'scope', message: `requires ${any.join(' or ')}` }], {
    'X-Accepted-Scopes': any.join(', '),
  });
}

/** A team key acts for its team: only where the contract allows, only in its organization and team. */
function authorizeTeam(contract: RouteContract, req: Request, res: Response, team: TeamPrincipal) {
  const credential = team.credential;
  res.locals['actor'] = { kind: 'team-key', id: credential.keyId, teamId: credential.teamId };
  res.setHeader('X-Token-Scopes', scopeHeader(credential.scopes));
  if (!contract.teamKeys) throw new HttpError('FORBIDDEN', 'Team keys act for a team and cannot call this route; use a personal access token');
  if (contract.scope && !credential.scopes.has(contract.scope) && !contract.orScopes?.some((s) => credential.scopes.has(s)))
    throw insufficientScope(contract.scope, contract.orScopes);
  const teamId = req.params['teamId'];
  let membership: Membership | null = null;
  if (contract.tenant) {
    if (String(req.params['organizationId'] ?? '') !== credential.organizationId)
      throw new HttpError('ORGANIZATION_MISMATCH', 'The team key belongs to another organization');
    membership = { organizationId: credential.organizationId, role: 'member' };
    if (contract.scope && !ROLE_SCOPES.member.has(contract.scope)) throw new HttpError('FORBIDDEN', `Team keys cannot use ${contract.scope}`);
  }
  if (teamId !== undefined && String(teamId) !== credential.teamId) throw new HttpError('FORBIDDEN', "A team key can only act for its own team");
  return { principal: null, team, membership };
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

async function authorize(deps: AppDeps, contract: RouteContract, req: Request, res: Response) {
  const caller = await authenticate(deps, req);
  // Per-credential limits count here: the caller is known, nothing else has been read yet.
  await deps.rateLimits.byCredential(contract, req, res, caller);
  if (isTeamCaller(caller)) return authorizeTeam(contract, req, res, caller);
  const principal = caller;
  const credential = principal.credential;
  res.locals['actor'] = { userId: principal.user.id, kind: credential.kind, id: credential.kind === 'pat' ? credential.keyId : credential.sessionId };
  if (credential.kind === 'pat') res.setHeader('X-Token-Scopes', scopeHeader(credential.scopes));
  if (contract.auth === 'session' && credential.kind !== 'session')
    throw new HttpError('FORBIDDEN', 'This route needs a signed-in session: API keys cannot mint keys or change credentials');
  if (contract.scope && !hasScope(principal, contract.scope) && !contract.orScopes?.some((s) => hasScope(principal, s)))
    throw insufficientScope(contract.scope, contract.orScopes);
  let membership: Membership | null = null;
  if (contract.tenant) {
    const organizationId = String(req.params['organizationId'] ?? '');
    if (credential.kind === 'pat' && credential.organizationId && credential.organizationId !== organizationId)
      throw new HttpError('ORGANIZATION_MISMATCH', 'The token is pinned to another organization');
    const load = () => membershipRole.first(deps.db, [organizationId, principal.user.id]);
    const row = await (deps.credentialCache ? deps.credentialCache.membership(req, organizationId, principal.user.id, load) : load());
    if (!row) throw new HttpError('ORGANIZATION_MISMATCH', 'You are not a member of this organization');
    const role = row.role as Role;
    if (contract.scope && !ROLE_SCOPES[role].has(contract.scope)) {
      // Team-admin routes (team keys): an admin of the path's team may, whatever the organization role.
      if (!contract.teamAdmin || !(await isTeamAdmin(deps, organizationId, String(req.params['teamId'] ?? ''), principal.user.id)))
        throw new HttpError('FORBIDDEN', `Your role (${role}) does not allow ${contract.scope}${contract.teamAdmin ? ', and you are not an admin of this team' : ''}`);
    }
    membership = { organizationId, role };
  }
  return { principal, team: null, membership };
}

function nextLink(deps: AppDeps, req: Request, cursor: string): string {
  const url = new URL(req.originalUrl, deps.baseUrl());
  url.searchParams.set('cursor', cursor);
  return `<${deps.baseUrl()}${url.pathname}${url.search}>; rel="next"`;
}

/** Registers one contract: authenticate, authorise, validate, run the handler, answer in the envelope. */
export function bind<C extends RouteContract>(router: Router, deps: AppDeps, contract: C, handler: Handler<C>): void {
  const method = contract.method.toLowerCase() as 'get' | 'post' | 'patch' | 'delete';
  router[method](contract.path, (req: Request, res: Response) => trackingWrites(() => serve(req, res)));
  const serve = async (req: Request, res: Response) => {
    const arrivedAt = deps.clock.now();
    await deps.rateLimits.byIp(contract, req, res);
    const { principal, team, membership } = contract.auth === 'public' ? { principal: null, team: null, membership: null } : await authorize(deps, contract, req, res);

    let query: unknown = undefined;
    if (contract.query) {
      const checked = validateQuery(contract.query, req.query as Record<string, unknown>);
      if (!checked.ok) throw new HttpError('VALIDATION_ERROR', checked.errors.map((e) => e.message).join('; '), checked.errors);
      query = checked.value;
    }
    let body: unknown = undefined;
    if (contract.body) {
      const raw = req.body === undefined ? {} : req.body;
      const checked = validate(contract.body, raw);
      if (!checked.ok) throw new HttpError('VALIDATION_ERROR', checked.errors.map((e) => e.message).join('; '), checked.errors);
      body = checked.value;
      await deps.rateLimits.byBody(contract, req, res, body);
    }

    let reply: Reply<DataOf<C>>;
    try {
      reply = await handler({
        req, res, deps, params: req.params as Record<string, string>, body: body as BodyOf<C>, query: query as QueryOf<C>, principal, team, membership, arrivedAt,
      });
    } finally {
      // A change to credentials, roles or memberships is announced before any answer, even an error.
      await announceChanges(deps.authEpoch);
    }
    if (reply.html !== undefined) {
      res.status(reply.status ?? contract.status ?? 200).type('html').send(reply.html);
      logRequest(deps.logger, req, res);
      return;
    }
    if (reply.pagination?.nextCursor) res.setHeader('Link', nextLink(deps, req, reply.pagination.nextCursor));
    sendEnvelope(res, {
      status: reply.status ?? contract.status ?? 200,
      code: 'OK',
      message: reply.message ?? contract.message,
      data: reply.data,
      ...(reply.pagination ? { pagination: reply.pagination } : {}),
    });
    logRequest(deps.logger, req, res);
  };
}
