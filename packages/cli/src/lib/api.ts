import type { BodyOf, DataOf, QueryOf, RouteName, ROUTES as CONTRACTS } from '@acct/shared';
import { buildPath, type RouteRef } from '@acct/shared/routes';
import type { CredentialPreference } from './credentials.js';
import type { EnvelopeLike, Http, HttpRequest, HttpResponse } from './http.js';
import { collectList } from './paginate.js';

/** The contract of route N (types only: the schemas never load in the CLI). */
type Contract<N extends RouteName> = (typeof CONTRACTS)[N];

/** What one call sends: the path's `:params`, the body and query typed by the route's contract. */
export type CallInput<N extends RouteName> = {
  params?: Record<string, string>;
  query?: Partial<NonNullable<QueryOf<Contract<N>>>>;
  headers?: Record<string, string>;
  /** Which credential goes (credentials.ts); `auto` unless the route needs a session or none. */
  credential?: CredentialPreference;
} & (undefined extends BodyOf<Contract<N>> ? { body?: BodyOf<Contract<N>> } : { body: BodyOf<Contract<N>> });

/** A 2xx answer: the envelope's `data` typed by the contract. */
export interface CallResult<N extends RouteName> {
  data: DataOf<Contract<N>>;
  envelope: EnvelopeLike<DataOf<Contract<N>>>;
  response: HttpResponse;
}

/**
 * Typed calls to the API (issue 13): `ctx.api.call(ROUTES.createApiKey, { body })`, where ROUTES
 * comes from `@acct/shared/routes`. The method and path come from the route (its `:params`
 * filled in and encoded), the body, query and answer types from its contract. A non-2xx answer
 * throws ApiError (mapped to an exit code by the top-level runner); `request` returns it instead,
 * for commands that read the status. `acct call` stays raw (lib/http.ts).
 */
export class Api {
  constructor(private readonly http: Http) {}

  /** The request `input` makes for `route` (no credential resolved, nothing sent). */
  static build<N extends RouteName>(route: RouteRef<N>, input: CallInput<N> = {} as CallInput<N>): HttpRequest {
    const req: HttpRequest = { method: route.method, path: buildPath(route.path, input.params) };
    if (input.query) req.query = input.query as HttpRequest['query'];
    if (input.body !== undefined) req.json = input.body;
    if (input.headers) req.headers = input.headers;
    if (input.credential) req.credential = input.credential;
    return req;
  }

  /** Calls the route; a non-2xx answer throws ApiError. */
  call<N extends RouteName>(route: RouteRef<N>, ...input: OptionalIfEmpty<CallInput<N>>): Promise<CallResult<N>> {
    return this.http.api<DataOf<Contract<N>>>(Api.build(route, input[0]));
  }

  /** Calls the route and returns the answer whatever its status (for commands that branch on it). */
  request<N extends RouteName>(route: RouteRef<N>, ...input: OptionalIfEmpty<CallInput<N>>): Promise<HttpResponse> {
    return this.http.request(Api.build(route, input[0]));
  }

  /** Up to `cap` items of a paginated list route (every item when `cap` is null). */
  list<N extends RouteName>(route: RouteRef<N>, input: CallInput<N>, cap: number | null): Promise<{ items: ListItem<N>[]; more: boolean }> {
    return collectList<ListItem<N>>(this.http, Api.build(route, input), cap);
  }
}

/** The item type of a list route's `data`. */
export type ListItem<N extends RouteName> = DataOf<Contract<N>> extends readonly (infer T)[] ? T : never;

/** The input may be left out when nothing in it is required (no body). */
type OptionalIfEmpty<I> = {} extends I ? [input?: I] : [input: I];
