// test-dialects: sqlite — route contracts against the routes createApp registers, in process; no request reaches a database
/**
 * The route policy (SECURITY: "one policy table maps every route to role+scope; a test fails on
 * unmapped routes"): what the server registers is exactly what ROUTES declares, and every
 * declared route says who may call it.
 */
import { describe, expect, it } from 'vitest';
import { openApiDocument, ROUTES, SCOPE_NAMES, type RouteContract } from '@acct/shared';
import { registeredRoutes } from './support.js';

const CONTRACTS = Object.entries(ROUTES as Record<string, RouteContract>);
const declared = new Set(CONTRACTS.map(([, r]) => `${r.method} ${r.path}`));

/** Served outside the contracts: documentation and probes, all GET and public. */
const META_ROUTES = ['GET /api/openapi.json', 'GET /docs', 'GET /healthz', 'GET /readyz'];

/** The web console's pages and assets (web/routes.tsx): HTML for people, outside /api/. */
const isConsolePage = (route: string) => !route.split(' ')[1]!.startsWith('/api/');

/**
 * The OAuth authorization server's protocol endpoints and pages (docs/oauth.md): they answer in
 * their RFCs' formats (form bodies, `{ error }`, redirects, HTML), not the envelope, so they have
 * no contract; each is tested by oauth-*.test.ts.
 */
const OAUTH_ROUTES = [
  'GET /.well-known/oauth-authorization-server', 'GET /.well-known/openid-configuration', 'GET /oauth2/authorize', 'POST /oauth2/token',
  'POST /oauth2/revoke', 'POST /oauth2/introspect', 'POST /oauth2/register', 'POST /oauth2/device_authorization',
  'GET /oauth/consent', 'POST /oauth/consent', 'GET /device', 'POST /device', 'GET /oauth2/jwks',
];

/**
 * Routes anyone may call. Adding one is a security decision: it belongs in this list, on purpose.
 * Sign-up/in, the mailed-link pages and their POSTs (the token is the credential), the
 * leak report (the leaked key is the credential), the scope catalogue, an invitation's preview
 * and the caller's rate limits (a credential, when sent, is checked and adds its own budgets), and
 * the confirmation of an email change (the token mailed to the new address is the credential).
 */
const PUBLIC_ROUTES = [
  'signUp', 'signIn', 'login', 'verifyEmailPage', 'verifyEmail', 'sendVerificationEmail',
  'requestPasswordReset', 'resetPasswordPage', 'resetPassword', 'reportLeakedKey', 'listScopes', 'viewInvitation',
  'getRateLimits', 'confirmEmailChange',
];

describe('route policy', () => {
  it('every route the server registers is declared in ROUTES or is a meta route', async () => {
    const registered = await registeredRoutes();
    const undeclared = [...registered].filter((r) => !declared.has(r) && !META_ROUTES.includes(r) && !OAUTH_ROUTES.includes(r) && !isConsolePage(r));
    expect(undeclared).toEqual([]);
    for (const meta of [...META_ROUTES, ...OAUTH_ROUTES]) expect(registered).toContain(meta);
  });

  it('every route declared in ROUTES is served (no contract without a handler)', async () => {
    const registered = await registeredRoutes();
    expect([...declared].filter((r) => !registered.has(r))).toEqual([]);
  });

  it('no two contracts claim the same method and path', () => {
    expect(declared.size).toBe(CONTRACTS.length);
  });

  it('every non-public route names a scope or is session-only', () => {
    const unmapped = CONTRACTS.filter(([, r]) => r.auth !== 'public' && !r.scope && r.auth !== 'session').map(([name]) => name);
    expect(unmapped).toEqual([]);
  });

  it('every scope a route names is in the catalogue', () => {
    for (const [name, r] of CONTRACTS) if (r.scope) expect(SCOPE_NAMES, name).toContain(r.scope);
  });

  it('only the allowlisted routes are public, and none of them is a tenant route', () => {
    const publicRoutes = CONTRACTS.filter(([, r]) => r.auth === 'public').map(([name]) => name);
    expect(publicRoutes.sort()).toEqual([...PUBLIC_ROUTES].sort());
    for (const [name, r] of CONTRACTS) if (r.auth === 'public') expect(r.tenant, name).toBeFalsy();
  });

  it('a path carrying :organizationId is a tenant route, so membership and key pins are checked', () => {
    for (const [name, r] of CONTRACTS) expect(Boolean(r.tenant), name).toBe(r.path.includes(':organizationId'));
  });

  it('team-admin routes (role OR admin of the team) are the team-key routes: tenant, under :teamId, scoped teams:write', () => {
    const teamAdmin = CONTRACTS.filter(([, r]) => r.teamAdmin).map(([name]) => name);
    expect(teamAdmin.sort()).toEqual(['createTeamKey', 'revokeTeamKey', 'rotateTeamKey']);
    for (const [name, r] of CONTRACTS.filter(([, c]) => c.teamAdmin)) {
      expect(r.tenant, name).toBe(true);
      expect(r.path, name).toContain('/teams/:teamId/keys');
      expect(r.scope, name).toBe('teams:write');
    }
  });

  it('the OpenAPI document describes every declared route', () => {
    const doc = openApiDocument(ROUTES, 'http://127.0.0.1:3000', 'test') as { paths: Record<string, Record<string, unknown>> };
    for (const [name, r] of CONTRACTS) {
      const path = r.path.replace(/:(\w+)/g, '{$1}');
      expect(doc.paths[path]?.[r.method.toLowerCase()], `${name}: ${r.method} ${path}`).toBeDefined();
    }
  });
});
