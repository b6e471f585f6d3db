import { Type } from '@sinclair/typebox';
import { defineRoute } from '../contract.js';
import { Id, ListQuery, NullableTimestamp, ScopeName, Strict, Timestamp } from '../schemas.js';
import { SCOPES, type Scope } from '../scopes.js';

const KeyName = Type.String({ minLength: 1, maxLength: 100 });
const KeyMetadata = Strict({ organizationId: Type.Optional(Id) });

/** A key as listings show it: never the secret. */
export const ApiKey = Type.Object({
  id: Id,
  name: Type.String(),
  start: Type.String({ description: 'The first characters of the key, to recognise it' }),
  scopes: Type.Array(ScopeName),
  organizationId: Type.Union([Id, Type.Null()]),
  enabled: Type.Boolean(),
  status: Type.Union([Type.Literal('active'), Type.Literal('expired'), Type.Literal('revoked'), Type.Literal('disabled')]),
  expiresAt: NullableTimestamp,
  lastUsedAt: NullableTimestamp,
  lastUsedIp: Type.Union([Type.String(), Type.Null()]),
  revokedAt: NullableTimestamp,
  createdAt: Timestamp,
});

export const createApiKey = defineRoute({
  method: 'POST', path: '/api/auth/api-key/create', tag: 'api-keys', auth: 'session', scope: 'api-keys:write',
  summary: 'Mint a personal access token; the key is shown only in this response', message: 'API key created',
  body: Strict({
    name: KeyName,
    expiresIn: Type.Optional(Type.Union([Type.Integer({ minimum: 60, maximum: 10 * 365 * 86400 }), Type.Null()])),
    scopes: Type.Array(ScopeName, { minItems: 1, maxItems: Object.keys(SCOPES).length, uniqueItems: true }),
    metadata: Type.Optional(KeyMetadata),
  }),
  data: Type.Object({
    id: Id,
    name: Type.String(),
    key: Type.String(),
    start: Type.String(),
    scopes: Type.Array(ScopeName),
    organizationId: Type.Union([Id, Type.Null()]),
    expiresAt: NullableTimestamp,
    createdAt: Timestamp,
  }),
});

export const listApiKeys = defineRoute({
  method: 'GET', path: '/api/auth/api-key/list', tag: 'api-keys', auth: 'user', scope: 'api-keys:read',
  summary: 'Your API keys, newest first (never the secret)', message: 'API keys fetched successfully',
  query: ListQuery, data: Type.Array(ApiKey),
});

export const listScopes = defineRoute({
  method: 'GET', path: '/api/auth/scopes', tag: 'api-keys', auth: 'public',
  summary: 'The scope catalogue', message: 'Scopes fetched successfully',
  data: Type.Array(Type.Object({ name: ScopeName, description: Type.String() })),
});

export type { Scope };
