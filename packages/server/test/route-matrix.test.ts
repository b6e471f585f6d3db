/**
 * Every route the server implements, checked from its contract in ROUTES: credentials (none,
 * expired, revoked, forged, wrong kind), scopes, tenancy, and request validation (missing,
 * mistyped, invalid and unknown fields; bad queries; malformed, mistyped and oversized bodies).
 * The cases are generated from the route table, so a new route is covered the day it is bound.
 * The cases stop before the handler runs, except those proving a scope suffices, which name
 * unknown resources; so none changes state, and each route is probed with the same fixtures.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken, SCOPE_NAMES, type Scope } from '@acct/shared';
import { createHash } from 'node:crypto';
import { newKey, newUser, PASSWORD, signIn, startServer, withTestDb, type RunningServer, type TestUser } from './harness.js';
import { api, expectEnvelope, expectNoServerErrors, expectValidationError, expireKey, fieldsOf, liveRoutes, revokeKey, type LiveRoute } from './support.js';
import { allowsNull, bodyProperties, invalidValues, queryProperties, requiredOf, wrongTypeValue } from './schema-cases.js';

const LIVE = await liveRoutes();
const AUTHENTICATED = LIVE.filter((r) => r.auth !== 'public');
const SESSION_ONLY = LIVE.filter((r) => r.auth === 'session' || r.auth === 'delegated');
const SCOPED_USER_ROUTES = LIVE.filter((r) => r.auth === 'user' && r.scope);
const TENANT = LIVE.filter((r) => r.tenant);
const UNSAFE = LIVE.filter((r) => r.method !== 'GET');
/** Routes whose body is a declared object (intake takes any JSON, up to its own limit). */
const WITH_BODY = LIVE.filter((r) => (r.body as { type?: string } | undefined)?.type === 'object');
const FREE_FORM = new Set(LIVE.filter((r) => r.body && !WITH_BODY.includes(r)));
const WITH_QUERY = LIVE.filter((r) => r.query);

let server: RunningServer;
let owner: TestUser;
let stranger: TestUser;
let secondOrgId: string;
let projectId: string;
const keys: Record<'full' | 'expired' | 'revoked' | 'pinned' | 'userRead' | 'intake', string> = {} as never;
const cookies: Record<'expired' | 'signedOut', string> = {} as never;
let disabled: { cookie: string; key: string };
const exactKeys = new Map<Scope, string>();

beforeAll(async () => {
  server = await startServer();
  [owner, stranger] = await Promise.all([newUser(server.url, 'owner'), newUser(server.url, 'stranger')]);
  const org = await api(server.url, 'POST', '/api/user/organizations', { cookie: owner.cookie, body: { name: 'Second organization' } });
  expectEnvelope(org, 201, 'OK');
  secondOrgId = org.body.data.id;
  const project = await api(server.url, 'POST', `/api/user/organizations/${owner.organizationId}/projects`, { cookie: owner.cookie, body: { name: 'Matrix' } });
  expectEnvelope(project, 201, 'OK');
  projectId = project.body.data.id;

  const all = [...SCOPE_NAMES];
  const [full, expired, revoked, pinned, userRead, intake] = await Promise.all([
    newKey(server.url, owner.cookie, all),
    newKey(server.url, owner.cookie, all, { expiresIn: 3600 }),
    newKey(server.url, owner.cookie, all),
    newKey(server.url, owner.cookie, all, { metadata: { organizationId: owner.organizationId } }),
    newKey(server.url, owner.cookie, ['user:read']),
    newKey(server.url, owner.cookie, ['intake:write']),
  ]);
  await expireKey(server, expired.id);
  await revokeKey(server, owner.cookie, revoked.id);
  Object.assign(keys, { full: full.key, expired: expired.key, revoked: revoked.key, pinned: pinned.key, userRead: userRead.key, intake: intake.key });
  // Sessions that ended: one past its expiry, one signed out.
  cookies.expired = await signIn(server.url, owner.email, PASSWORD);
  const expiredHash = createHash('sha256').update(cookies.expired.split('=')[1]!).digest('hex');
  expect(await withTestDb(server, (db) => db.run('UPDATE sessions SET expires_at = ? WHERE token_hash = ?', [new Date(Date.now() - 60_000).toISOString(), expiredHash]))).toBe(1);
  cookies.signedOut = await signIn(server.url, owner.email, PASSWORD);
  expectEnvelope(await api(server.url, 'POST', '/api/auth/sign-out', { cookie: cookies.signedOut }), 200, 'OK');
  // An account an operator disabled, with a session and a key it had before.
  const victim = await newUser(server.url, 'disabled');
  disabled = { cookie: victim.cookie, key: (await newKey(server.url, victim.cookie, [...SCOPE_NAMES])).key };
  expect(await withTestDb(server, (db) => db.run('UPDATE users SET is_active = 0 WHERE id = ?', [victim.id]))).toBe(1);

  const scopes = [...new Set(SCOPED_USER_ROUTES.flatMap((r) => [r.scope!, ...(r.orScopes ?? [])]))];
  const made = await Promise.all(scopes.map((s) => newKey(server.url, owner.cookie, [s])));
  scopes.forEach((s, i) => exactKeys.set(s, made[i]!.key));
});
afterAll(async () => {
  expectNoServerErrors(server);
  await server.stop();
});

/** The route's path with its parameters filled: the owner's organization and project unless told otherwise. */
function pathOf(route: LiveRoute, params: Record<string, string> = {}): string {
  const values: Record<string, string> = { organizationId: owner.organizationId, projectId, ...params };
  return route.path.replace(/:(\w+)/g, (_, p: string) => encodeURIComponent(values[p] ?? `no-such-${p}`));
}

const send = (route: LiveRoute, opts: Parameters<typeof api>[3] = {}, params?: Record<string, string>) =>
  api(server.url, route.method, pathOf(route, params), opts);

/** The credential that gets a request past authentication and authorisation: the owner's session. */
const asOwner = (route: LiveRoute) => (route.auth === 'public' ? {} : { cookie: owner.cookie });

const label = (r: LiveRoute) => `${r.method} ${r.path}`;

const AUTHORISATION_FAILURES = ['UNAUTHORIZED', 'INVALID_TOKEN', 'TOKEN_EXPIRED', 'FORBIDDEN', 'INSUFFICIENT_SCOPE', 'ORGANIZATION_MISMATCH'];

describe('credentials', () => {
  it.each(AUTHENTICATED.map((r) => [label(r), r] as const))('%s without a credential: 401 UNAUTHORIZED with WWW-Authenticate', async (_, route) => {
    const res = await send(route);
    expectEnvelope(res, 401, 'UNAUTHORIZED');
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
  });

  it.each(AUTHENTICATED.map((r) => [label(r), r] as const))('%s with an expired key: 401 TOKEN_EXPIRED', async (_, route) => {
    expectEnvelope(await send(route, { apiKey: keys.expired }), 401, 'TOKEN_EXPIRED');
  });

  it.each(AUTHENTICATED.map((r) => [label(r), r] as const))('%s with a revoked key: 401 INVALID_TOKEN', async (_, route) => {
    expectEnvelope(await send(route, { apiKey: keys.revoked }), 401, 'INVALID_TOKEN');
  });

  it.each(AUTHENTICATED.map((r) => [label(r), r] as const))('%s with forged or mangled tokens: 401 INVALID_TOKEN', async (_, route) => {
    const wellFormedButUnknown = issueToken('pat').token;
    const badChecksum = keys.full.slice(0, -1) + (keys.full.endsWith('A') ? 'B' : 'A');
    for (const opts of [{ apiKey: wellFormedButUnknown }, { apiKey: badChecksum }, { bearer: 'not-a-token' }, { cookie: 'acct_session=bc_garbage' }, { headers: { authorization: 'Basic dXNlcjpwYXNz' } }]) {
      expectEnvelope(await send(route, opts), 401, 'INVALID_TOKEN');
    }
  });

  it.each(AUTHENTICATED.map((r) => [label(r), r] as const))('%s with an expired session: 401 TOKEN_EXPIRED; a signed-out one: 401 INVALID_TOKEN', async (_, route) => {
    expectEnvelope(await send(route, { cookie: cookies.expired }), 401, 'TOKEN_EXPIRED');
    expectEnvelope(await send(route, { cookie: cookies.signedOut }), 401, 'INVALID_TOKEN');
  });

  it.each(AUTHENTICATED.map((r) => [label(r), r] as const))('%s refuses a disabled account, by session and by key: 403 ACCOUNT_DISABLED', async (_, route) => {
    expectEnvelope(await send(route, { cookie: disabled.cookie }), 403, 'ACCOUNT_DISABLED');
    expectEnvelope(await send(route, { apiKey: disabled.key }), 403, 'ACCOUNT_DISABLED');
  });

  it.each(SESSION_ONLY.map((r) => [label(r), r] as const))('%s refuses a personal access token, even with every scope: 403 FORBIDDEN', async (_, route) => {
    expectEnvelope(await send(route, { apiKey: keys.full }), 403, 'FORBIDDEN');
  });
});

describe('scopes', () => {
  it.each(SCOPED_USER_ROUTES.map((r) => [label(r), [r.scope!, ...(r.orScopes ?? [])].join(' or '), r] as const))('%s with a key lacking %s: 403 INSUFFICIENT_SCOPE naming it', async (_, scope, route) => {
    const accepted = [route.scope!, ...(route.orScopes ?? [])];
    const key = accepted.includes('user:read') ? keys.intake : keys.userRead;
    const res = await send(route, { apiKey: key });
    expectEnvelope(res, 403, 'INSUFFICIENT_SCOPE');
    expect(res.headers.get('x-accepted-scopes')).toBe(accepted.join(', '));
    expect(res.headers.get('x-token-scopes')).toBeTruthy();
    expect(res.body.message).toContain(scope);
    expect(JSON.stringify(res.body.errors)).toContain(scope);
  });

  it.each(SCOPED_USER_ROUTES.flatMap((r) => [r.scope!, ...(r.orScopes ?? [])].map((s) => [label(r), s, r] as const)))('%s with a key holding only %s gets past authorisation', async (_, scope, route) => {
    // Unknown ids for everything but the organization: the handler answers 404 or validation, never 401/403.
    const res = await send(route, { apiKey: exactKeys.get(scope)!, ...(route.body ? { body: {} } : {}) }, { projectId: 'no-such-project' });
    expect(AUTHORISATION_FAILURES, res.text.slice(0, 300)).not.toContain(res.body.code);
    expect(res.headers.get('x-token-scopes')).toBe(scope);
  });
});

describe('tenancy', () => {
  it.each(TENANT.map((r) => [label(r), r] as const))("%s on another user's organization: 403 ORGANIZATION_MISMATCH, by session and by key", async (_, route) => {
    expectEnvelope(await send(route, { cookie: owner.cookie }, { organizationId: stranger.organizationId }), 403, 'ORGANIZATION_MISMATCH');
    if (route.auth === 'user') expectEnvelope(await send(route, { apiKey: keys.full }, { organizationId: stranger.organizationId }), 403, 'ORGANIZATION_MISMATCH');
    expectEnvelope(await send(route, { cookie: stranger.cookie }), 403, 'ORGANIZATION_MISMATCH');
  });

  it.each(TENANT.map((r) => [label(r), r] as const))('%s on an organization that does not exist: 403 ORGANIZATION_MISMATCH', async (_, route) => {
    expectEnvelope(await send(route, { cookie: owner.cookie }, { organizationId: '01HZ3K5R4X9Y2V6QF8TJ7W0CDN' }), 403, 'ORGANIZATION_MISMATCH');
  });

  it.each(TENANT.filter((r) => r.auth === 'user').map((r) => [label(r), r] as const))(
    '%s with a key pinned to another of its owner\'s organizations: 403 ORGANIZATION_MISMATCH',
    async (_, route) => {
      const res = await send(route, { apiKey: keys.pinned }, { organizationId: secondOrgId });
      expectEnvelope(res, 403, 'ORGANIZATION_MISMATCH');
      expect(res.body.message).toMatch(/pinned/i);
    },
  );
});

describe('request bodies', () => {
  it.each(UNSAFE.map((r) => [label(r), r] as const))('%s with malformed JSON: 400 BAD_REQUEST', async (_, route) => {
    for (const raw of ['{"name": ', "{'name': 'x'}", '{"a":1}}', 'nul']) {
      expectEnvelope(await send(route, { ...asOwner(route), raw, headers: { 'content-type': 'application/json' } }), 400, 'BAD_REQUEST');
    }
  });

  it.each(UNSAFE.map((r) => [label(r), r] as const))('%s with a non-JSON content type: 400 BAD_REQUEST', async (_, route) => {
    for (const type of ['text/plain', 'multipart/form-data; boundary=x', 'application/xml']) {
      expectEnvelope(await send(route, { ...asOwner(route), raw: '{"name":"x"}', headers: { 'content-type': type } }), 400, 'BAD_REQUEST');
    }
  });

  it.each(UNSAFE.filter((r) => !FREE_FORM.has(r)).map((r) => [label(r), r] as const))('%s with a body over 64 KiB: 413 PAYLOAD_TOO_LARGE', async (_, route) => {
    const raw = JSON.stringify({ name: 'x'.repeat(64 * 1024) });
    expectEnvelope(await send(route, { ...asOwner(route), raw, headers: { 'content-type': 'application/json' } }), 413, 'PAYLOAD_TOO_LARGE');
  });

  it.each(WITH_BODY.filter((r) => requiredOf(r.body!).length > 0).map((r) => [label(r), r] as const))('%s names every missing required field', async (_, route) => {
    expectValidationError(await send(route, { ...asOwner(route), body: {} }), ...requiredOf(route.body!));
    expectValidationError(await send(route, { ...asOwner(route) }), ...requiredOf(route.body!)); // no body at all
  });

  it.each(WITH_BODY.map((r) => [label(r), r] as const))('%s names an unknown field (no mass assignment)', async (_, route) => {
    const known = new Set(bodyProperties(route.body!).map(([name]) => name));
    const unknown = ['isAdmin', 'role', 'emailVerified', 'organizationId', 'userId'].filter((f) => !known.has(f)).slice(0, 2);
    const res = await send(route, { ...asOwner(route), body: Object.fromEntries(unknown.map((f) => [f, 'owner'])) });
    expectValidationError(res, ...unknown);
  });

  it.each(WITH_BODY.map((r) => [label(r), r] as const))('%s refuses a body that is not an object', async (_, route) => {
    for (const body of [[], ['x'], 'text', 42]) {
      const res = await send(route, { ...asOwner(route), body });
      expect(res.status, res.text.slice(0, 200)).toBe(400);
      expect(['VALIDATION_ERROR', 'BAD_REQUEST']).toContain(res.body.code);
    }
  });

  const properties = WITH_BODY.flatMap((r) => bodyProperties(r.body!).map(([name, schema]) => [label(r), name, r, schema] as const));

  it.each(properties)('%s names %s when it has the wrong type', async (_, name, route, schema) => {
    expectValidationError(await send(route, { ...asOwner(route), body: { [name]: wrongTypeValue(schema) } }), name);
    if (!allowsNull(schema)) expectValidationError(await send(route, { ...asOwner(route), body: { [name]: null } }), name);
  });

  const invalid = WITH_BODY.flatMap((r) => bodyProperties(r.body!).flatMap(([name, schema]) => invalidValues(schema).map(([what, value]) => [label(r), name, what, r, value] as const)));

  it.each(invalid)('%s names %s when it is %s', async (_, name, _what, route, value) => {
    const res = await send(route, { ...asOwner(route), body: { [name]: value } });
    expectValidationError(res);
    expect(fieldsOf(res).some((f) => f === name || f.startsWith(`${name}.`)), res.text.slice(0, 300)).toBe(true);
  });
});

describe('query strings', () => {
  it.each(WITH_QUERY.map((r) => [label(r), r] as const))('%s names an unknown query parameter', async (_, route) => {
    expectValidationError(await api(server.url, route.method, `${pathOf(route)}?bogus=1`, asOwner(route)), 'bogus');
  });

  const params = WITH_QUERY.flatMap((r) => queryProperties(r.query!).map(([name, schema]) => [label(r), name, r, schema] as const));

  it.each(params)('%s names %s when it is given twice', async (_, name, route) => {
    expectValidationError(await api(server.url, route.method, `${pathOf(route)}?${name}=1&${name}=2`, asOwner(route)), name);
  });

  it.each(params)('%s names %s when it is invalid', async (_, name, route, schema) => {
    const values = schema.type === 'integer' ? ['abc', '1.5', String((schema.minimum ?? 1) - 1), String((schema.maximum ?? 1e9) + 1)] : invalidValues(schema).map(([, v]) => String(v));
    for (const value of values) {
      expectValidationError(await api(server.url, route.method, `${pathOf(route)}?${name}=${encodeURIComponent(value)}`, asOwner(route)), name);
    }
  });

  it.each(WITH_QUERY.filter((r) => requiredOf(r.query!).length > 0).map((r) => [label(r), r] as const))('%s names a missing required parameter', async (_, route) => {
    expectValidationError(await send(route, asOwner(route)), ...requiredOf(route.query!));
  });
});
