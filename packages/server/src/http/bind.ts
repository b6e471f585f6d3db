import type { Request, Response, Router } from 'express';
import { validate, validateQuery, type BodyOf, type DataOf, type Pagination, type QueryOf, type RouteContract } from '@acct/shared';
import type { AppDeps } from '../deps.js';
import type { UserRow } from '../db/schema.js';
import type { Principal } from '../auth/principal.js';
import { authenticate } from '../auth/credentials/index.js';
import { contractGuards, type Guard, type GuardContext, type Membership } from '../auth/guards.js';
import { logRequest } from './access-log.js';
import { ENVELOPE } from './render/envelope.js';
import { HTML } from './render/html.js';
import { useRenderer, type Renderer } from './render/renderer.js';
import { HttpError } from './http-error.js';
import { announceChanges, trackingWrites } from '../auth/invalidation.js';

export type { Membership } from '../auth/guards.js';

export interface RouteContext<C extends RouteContract> {
  req: Request;
  res: Response;
  deps: AppDeps;
  params: Record<string, string>;
  body: BodyOf<C>;
  query: QueryOf<C>;
  /** Who calls, resolved once by a credential kind; null on public routes. */
  principal: Principal | null;
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
  /** Answer a browser with this page instead (mailed-link pages): written by the HTML renderer. */
  html?: string;
}

export type Handler<C extends RouteContract> = (ctx: RouteContext<C>) => Promise<Reply<DataOf<C>>>;

/** What a capability adds to its contracts: checks beyond the contract's own, and how it answers. */
export interface BindOptions {
  /** Run after the guards the contract declares (auth/guards.ts `contractGuards`). */
  guards?: readonly Guard[];
  /** How answers and errors are written (default: the envelope). */
  renderer?: Renderer;
}

/** The principal of a non-public route. */
export function principalOf(ctx: { principal: Principal | null }): Principal {
  if (!ctx.principal) throw new HttpError('UNAUTHORIZED');
  return ctx.principal;
}

/** The person calling (every route not opened to teams or clients has one). */
export function userOf(ctx: { principal: Principal | null }): UserRow {
  const subject = principalOf(ctx).subject;
  if (subject.kind !== 'user') throw new HttpError('FORBIDDEN', 'This route acts for a person');
  return subject.user;
}

/**
 * The organization the calling credential is pinned to, or null (sessions and unpinned keys).
 * Account routes (outside `/organizations/:organizationId`) narrow what they show and change to
 * it: a pinned key sees and manages only what belongs to its own organization.
 */
export function pinOf(principal: Principal): string | null {
  return principal.organizationId;
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

/**
 * Registers one contract: validate → guard → handler → render. Authenticates (unless public),
 * spends the request's budgets, runs the contract's guards and the capability's, validates query
 * and body, runs the handler and writes its reply with the route's renderer.
 */
export function bind<C extends RouteContract>(router: Router, deps: AppDeps, contract: C, handler: Handler<C>, options: BindOptions = {}): void {
  const method = contract.method.toLowerCase() as 'get' | 'post' | 'patch' | 'delete';
  const guards: readonly Guard[] = [...contractGuards(contract), ...(options.guards ?? [])];
  const renderer = options.renderer ?? ENVELOPE;
  const isPublic = contract.auth === 'public';
  const status = contract.status ?? 200;
  remember(deps, contract, guards, handler as Handler<RouteContract>);
  router[method](contract.path, (req: Request, res: Response) => trackingWrites(() => serve(req, res)));
  const serve = async (req: Request, res: Response) => {
    const arrivedAt = deps.clock.now();
    if (renderer !== ENVELOPE) useRenderer(res, renderer);
    await deps.rateLimits.byIp(contract, req, res);
    let principal: Principal | null = null;
    let membership: Membership | null = null;
    if (!isPublic) {
      principal = await authenticate(deps, req);
      // Per-credential limits count here: the caller is known, nothing else has been read yet.
      await deps.rateLimits.byCredential(contract, req, res, principal);
      res.locals['principal'] = principal;
      if (principal.scopes !== 'all') res.setHeader('X-Token-Scopes', scopeHeader(principal.scopes));
      const guarded: GuardContext = { deps, req, res, principal, membership: null };
      for (const guard of guards) {
        const pending = guard(guarded);
        if (pending) await pending;
      }
      membership = guarded.membership;
    }

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
        req, res, deps, params: req.params as Record<string, string>, body: body as BodyOf<C>, query: query as QueryOf<C>, principal, membership, arrivedAt,
      });
    } finally {
      // A change to credentials, roles or memberships is announced before any answer, even an error.
      await announceChanges(deps.authEpoch);
    }
    if (reply.html !== undefined) HTML.success(req, res, { status: reply.status ?? status, message: '', data: reply.html }, deps);
    else
      renderer.success(req, res, {
        status: reply.status ?? status, message: reply.message ?? contract.message, data: reply.data, ...(reply.pagination ? { pagination: reply.pagination } : {}),
      }, deps);
    logRequest(deps.logger, req, res);
  };
}

/**
 * A capability (OAuth, MCP, pages, …) binds all its routes with the same renderer and extra
 * guards, declared once: `const route = capability(deps, r, { renderer: OAUTH }); route(ROUTES.token, handler)`.
 */
export function capability(deps: AppDeps, router: Router, options: BindOptions) {
  return <C extends RouteContract>(contract: C, handler: Handler<C>, more: BindOptions = {}): void =>
    bind(router, deps, contract, handler, { renderer: more.renderer ?? options.renderer ?? ENVELOPE, guards: [...(options.guards ?? []), ...(more.guards ?? [])] });
}

/** What `bind` registered for a contract: its guards (the contract's and the capability's) and its handler. */
interface BoundRoute {
  guards: readonly Guard[];
  handler: Handler<RouteContract>;
}

const BOUND = new WeakMap<AppDeps, Map<RouteContract, BoundRoute>>();

function remember(deps: AppDeps, contract: RouteContract, guards: readonly Guard[], handler: Handler<RouteContract>): void {
  let routes = BOUND.get(deps);
  if (!routes) BOUND.set(deps, (routes = new Map()));
  routes.set(contract, { guards, handler });
}

/** A route called in process by another protocol (MCP tools): who calls and with what. */
export interface Invocation {
  /** The request that carried the call (its IP, its id); the route's path parameters replace its own. */
  req: Request;
  res: Response;
  principal: Principal;
  params: Record<string, string>;
  /** Already typed values (not query strings): validated against the contract's query schema. */
  query?: Record<string, unknown>;
  body?: Record<string, unknown>;
  /** Filled in as the guards run, even when one refuses: the membership the tenant guard resolved (an audit row's organization). */
  resolved?: { membership: Membership | null };
}

/**
 * Runs a bound route in process, as `bind` runs it over HTTP but without the network: the same
 * guards (scope, subject, session, tenant, pin, role), the same validation and the same handler,
 * so another protocol answering for a route can never drift from it. Returns the handler's reply;
 * throws the route's HttpError.
 */
export function invokeRoute<C extends RouteContract>(deps: AppDeps, contract: C, call: Invocation): Promise<Reply<DataOf<C>>> {
  // As over HTTP: a change to credentials, roles or memberships is announced before the answer.
  return trackingWrites(() => invokeTracked(deps, contract, call));
}

async function invokeTracked<C extends RouteContract>(deps: AppDeps, contract: C, call: Invocation): Promise<Reply<DataOf<C>>> {
  const bound = BOUND.get(deps)?.get(contract);
  if (!bound) throw new Error(`no route is bound for ${contract.method} ${contract.path}`);
  // The guards read the path's parameters from the request; the call's own stand in for them.
  const req = Object.create(call.req, { params: { value: call.params, enumerable: true } }) as Request;
  await deps.rateLimits.byCredential(contract, req, call.res, call.principal);
  const guarded: GuardContext = { deps, req, res: call.res, principal: call.principal, membership: null };
  try {
    for (const guard of bound.guards) await guard(guarded);
  } finally {
    if (call.resolved) call.resolved.membership = guarded.membership;
  }
  let query: unknown = undefined;
  if (contract.query) {
    const checked = validate(contract.query, call.query ?? {});
    if (!checked.ok) throw new HttpError('VALIDATION_ERROR', checked.errors.map((e) => e.message).join('; '), checked.errors);
    query = checked.value;
  }
  let body: unknown = undefined;
  if (contract.body) {
    const checked = validate(contract.body, call.body ?? {});
    if (!checked.ok) throw new HttpError('VALIDATION_ERROR', checked.errors.map((e) => e.message).join('; '), checked.errors);
    body = checked.value;
    await deps.rateLimits.byBody(contract, req, call.res, body);
  }
  try {
    const reply = await bound.handler({
      req, res: call.res, deps, params: call.params, body: body as BodyOf<RouteContract>, query: query as QueryOf<RouteContract>, principal: call.principal,
      membership: guarded.membership, arrivedAt: deps.clock.now(),
    });
    return reply as Reply<DataOf<C>>;
  } finally {
    await announceChanges(deps.authEpoch);
  }
}
