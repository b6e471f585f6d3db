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
  rotatedAt: NullableTimestamp,
  /** While a rotation's grace period runs, the previous secret still works until then. */
  previousSecretExpiresAt: NullableTimestamp,
  createdAt: Timestamp,
});

export const KeyStatusName = Type.Union([Type.Literal('active'), Type.Literal('expired'), Type.Literal('revoked'), Type.Literal('disabled')]);

/** One entry of a key's history: kept after revocation, so the audit trail outlives the key. */
export const KeyEvent = Type.Object({
  id: Id,
  kind: Type.Union([
    Type.Literal('created'), Type.Literal('updated'), Type.Literal('rotated'), Type.Literal('revoked'), Type.Literal('leak-reported'),
  ]),
  detail: Type.String(),
  ip: Type.Union([Type.String(), Type.Null()]),
  createdAt: Timestamp,
});

export const createApiKey = defineRoute({
  method: 'POST', path: '/api/auth/api-key/create', tag: 'api-keys', auth: 'delegated', scope: 'api-keys:write',
  summary: 'Mint a personal access token; the key is shown only in this response', message: 'API key created',
  body: Strict({
    name: KeyName,
    expiresIn: Type.Optional(Type.Union([Type.Integer({ minimum: 60, maximum: 10 * 365 * 86400 }), Type.Null()], { errorMessage: 'must be a whole number of seconds, at least 60 seconds (at most 10 years), or null for no expiry' })),
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
  summary: 'Your API keys, newest first (never the secret); revoked and expired ones stay listed', message: 'API keys fetched successfully',
  query: Strict({ ...ListQuery.properties, status: Type.Optional(KeyStatusName) }),
  data: Type.Array(ApiKey),
});

const KeyId = Strict({ id: Id });

export const getApiKey = defineRoute({
  method: 'GET', path: '/api/auth/api-key/get', tag: 'api-keys', auth: 'user', scope: 'api-keys:read',
  summary: 'One of your keys with its history', message: 'API key fetched successfully',
  query: KeyId, data: Type.Intersect([ApiKey, Type.Object({ events: Type.Array(KeyEvent) })]),
});

export const updateApiKey = defineRoute({
  method: 'POST', path: '/api/auth/api-key/update', tag: 'api-keys', auth: 'session', scope: 'api-keys:write',
  summary: 'Rename, enable/disable, or narrow the scopes of a key (never widen); re-enabling is a credential change, so it needs a session',
  message: 'API key updated',
  body: Strict({
    id: Id,
    name: Type.Optional(KeyName),
    enabled: Type.Optional(Type.Boolean()),
    scopes: Type.Optional(Type.Array(ScopeName, { minItems: 1, maxItems: Object.keys(SCOPES).length, uniqueItems: true })),
  }),
  data: ApiKey,
});

export const deleteApiKey = defineRoute({
  method: 'POST', path: '/api/auth/api-key/delete', tag: 'api-keys', auth: 'user', scope: 'api-keys:write',
  summary: 'Revoke a key: instant and permanent; it stays listed as revoked', message: 'API key revoked',
  body: KeyId, data: ApiKey,
});

export const rotateApiKey = defineRoute({
  method: 'POST', path: '/api/auth/api-key/rotate', tag: 'api-keys', auth: 'session', scope: 'api-keys:write',
  summary: 'New secret for the same key id, shown once; the old secret stops now or after gracePeriod seconds',
  message: 'API key rotated',
  body: Strict({ id: Id, gracePeriod: Type.Optional(Type.Integer({ minimum: 0, maximum: 7 * 86400 })) }),
  data: Type.Intersect([ApiKey, Type.Object({ key: Type.String() })]),
});

export const reportLeakedKey = defineRoute({
  method: 'POST', path: '/api/auth/api-key/report-leak', tag: 'api-keys', auth: 'public',
  summary:
    "Found a key in the wild? Send it: a key's current secret revokes the key; a secret retired by a rotation only ends its own grace period; the owner is told; the answer never says whose it was",
  message: 'Thank you: the report is recorded; data.outcome says what it did (revoked, grace-ended, or inactive: nothing was active, nothing revoked)',
  body: Strict({ key: Type.String({ minLength: 1, maxLength: 200 }) }),
  data: Type.Object({
    ok: Type.Literal(true),
    outcome: Type.Union([Type.Literal('revoked'), Type.Literal('grace-ended'), Type.Literal('inactive')], {
      description: '`revoked`: the current secret, the key is revoked; `grace-ended`: a previous secret still in its grace period, now stopped (the key lives on); `inactive`: nothing active (a retired, revoked or unknown secret), nothing revoked',
    }),
  }),
});

export const listScopes = defineRoute({
  method: 'GET', path: '/api/auth/scopes', tag: 'api-keys', auth: 'public',
  summary: 'The scope catalogue', message: 'Scopes fetched successfully',
  data: Type.Array(Type.Object({ name: ScopeName, description: Type.String() })),
});

export type { Scope };
