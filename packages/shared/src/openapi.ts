import type { TSchema } from '@sinclair/typebox';
import type { RouteContract } from './contract.js';
import { ERROR_CODES } from './errors.js';
import { SCOPES } from './scopes.js';

function strip(schema: unknown): unknown {
  // TypeBox keeps its own symbols and `[Kind]`; JSON round trip leaves plain JSON Schema.
  return JSON.parse(JSON.stringify(schema));
}

function envelope(data: TSchema): unknown {
  return {
    type: 'object',
    required: ['success', 'status', 'code', 'message', 'data', 'meta'],
    properties: {
      success: { type: 'boolean', const: true },
      status: { type: 'integer' },
      code: { type: 'string', const: 'OK' },
      message: { type: 'string' },
      data: strip(data),
      meta: { $ref: '#/components/schemas/Meta' },
    },
  };
}

/** The OpenAPI 3.1 document of every route, from the same contracts the server validates with. */
export function openApiDocument(routes: Record<string, RouteContract>, serverUrl: string, version: string): unknown {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [name, r] of Object.entries(routes)) {
    const path = r.path.replace(/:(\w+)/g, '{$1}');
    const params = [...r.path.matchAll(/:(\w+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    const query = r.query
      ? Object.entries((strip(r.query) as { properties: Record<string, unknown>; required?: string[] }).properties).map(([n, s]) => ({
          name: n, in: 'query', required: ((r.query as { required?: string[] }).required ?? []).includes(n), schema: s,
        }))
      : [];
    const security =
      r.auth === 'public' ? [] : r.auth === 'session' ? [{ cookie: [] }, { bearerSession: [] }] : r.auth === 'delegated' ? [{ cookie: [] }, { bearerSession: [] }, { bearerToken: r.scope ? [r.scope] : [] }] : [{ cookie: [] }, { bearerSession: [] }, { apiKey: r.scope ? [r.scope] : [] }, { bearerToken: r.scope ? [r.scope] : [] }, ...(r.orScopes ?? []).flatMap((s) => [{ apiKey: [s] }, { bearerToken: [s] }])];
    (paths[path] ??= {})[r.method.toLowerCase()] = {
      operationId: name,
      summary: r.summary,
      tags: [r.tag],
      ...(r.scope ? { 'x-required-scope': r.scope } : {}),
      ...(r.orScopes?.length ? { 'x-alternative-scopes': r.orScopes } : {}),
      security,
      parameters: [...params, ...query],
      ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: strip(r.body) } } } } : {}),
      responses: {
        [String(r.status ?? 200)]: { description: r.message, content: { 'application/json': { schema: envelope(r.data) } } },
        default: { description: 'Error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'acct API', version, description: 'Accounts, sessions and scoped API keys.' },
    servers: [{ url: serverUrl }],
    paths,
    components: {
      securitySchemes: {
        cookie: { type: 'apiKey', in: 'cookie', name: 'acct_session' },
        bearerSession: { type: 'http', scheme: 'bearer', description: 'token from POST /api/auth/login' },
        apiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key', description: `PAT (ba_…). Scopes: ${Object.keys(SCOPES).join(', ')}` },
        bearerToken: { type: 'http', scheme: 'bearer', description: 'A personal access token (ba_), a team key (bt_), an OAuth access token (bo_) or a bearer session (bs_); each route says which it accepts' },
      },
      schemas: {
        Meta: {
          type: 'object',
          properties: {
            requestId: { type: 'string' },
            pagination: { type: 'object', properties: { limit: { type: 'integer' }, nextCursor: { type: ['string', 'null'] }, hasMore: { type: 'boolean' } } },
          },
        },
        Error: {
          type: 'object',
          properties: {
            success: { const: false },
            status: { type: 'integer' },
            code: { enum: Object.keys(ERROR_CODES) },
            message: { type: 'string' },
            data: { type: 'null' },
            errors: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } } },
            meta: { $ref: '#/components/schemas/Meta' },
          },
        },
      },
    },
  };
}
