import type { Static, TSchema } from '@sinclair/typebox';
import type { Scope } from './scopes.js';

/**
 * Who may call a route:
 * - `public`: anyone (sign-up, sign-in, …);
 * - `user`: any credential of a signed-in user (cookie, bearer session, PAT), scope-checked;
 * - `session`: only a signed-in session (cookie or bearer session): PATs cannot mint PATs
 *   or change credentials;
 * - `delegated`: a signed-in session, or an OAuth access token (`bo_…`) a person approved
 *   interactively on the consent page, scope-checked; PATs and team keys are refused. The route
 *   itself keeps what a token asks for within the token's own scopes and pin (no escalation).
 */
export type RouteAuth = 'public' | 'user' | 'session' | 'delegated';

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** One endpoint: the single definition that gives its types, its validation and its OpenAPI entry. */
export interface RouteContract<
  B extends TSchema | undefined = TSchema | undefined,
  Q extends TSchema | undefined = TSchema | undefined,
  D extends TSchema = TSchema,
> {
  method: HttpMethod;
  /** Express-style path, `:param` for parameters. */
  path: string;
  summary: string;
  tag: string;
  auth: RouteAuth;
  /** Scope a token needs; sessions hold every scope. */
  scope?: Scope;
  /** Other scopes that grant this route too: a token needs `scope` or any one of these. */
  orScopes?: readonly Scope[];
  /** Path carries `:organizationId`: membership and key pin are checked. */
  tenant?: boolean;
  /**
   * Team keys (`bt_…`) may call this route, acting for their team (never for a person):
   * on tenant routes only in their own organization, and only for their own `:teamId`.
   */
  teamKeys?: boolean;
  /**
   * Team-admin route (`:teamId` in a tenant path): the caller's organization role must allow
   * `scope`, OR the caller must be an admin of that team. A token still needs `scope` itself.
   */
  teamAdmin?: boolean;
  body?: B;
  query?: Q;
  /** Schema of `data` in the success envelope. */
  data: D;
  /** Status of the success envelope (default 200). */
  status?: number;
  /** Message of the success envelope. */
  message: string;
}

export function defineRoute<B extends TSchema | undefined, Q extends TSchema | undefined, D extends TSchema>(
  c: RouteContract<B, Q, D>,
): RouteContract<B, Q, D> {
  return c;
}

export type BodyOf<C> = C extends RouteContract<infer B, TSchema | undefined, TSchema> ? (B extends TSchema ? Static<B> : undefined) : never;
export type QueryOf<C> = C extends RouteContract<TSchema | undefined, infer Q, TSchema> ? (Q extends TSchema ? Static<Q> : undefined) : never;
export type DataOf<C> = C extends RouteContract<TSchema | undefined, TSchema | undefined, infer D> ? Static<D> : never;

/** Pagination block of list responses (`meta.pagination`). */
export interface Pagination {
  limit: number;
  nextCursor: string | null;
  hasMore: boolean;
}

/** The one response shape of every route, success or error. */
export interface Envelope<T = unknown> {
  success: boolean;
  status: number;
  code: string;
  message: string;
  data: T | null;
  errors?: { field: string; message: string }[];
  meta: { requestId: string; pagination?: Pagination };
}
