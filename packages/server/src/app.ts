import express, { type Express, type RequestHandler } from 'express';
import { securityHeaders } from './middleware/security-headers.js';
import type { AppDeps } from './deps.js';
import { authRoutes } from './auth/auth.routes.js';
import { keyRoutes } from './keys/keys.routes.js';
import { teamKeyRoutes } from './keys/team-keys.routes.js';
import { intakeRoutes } from './intake/intake.routes.js';
import { metaRoutes } from './meta/meta.routes.js';
import { csrf } from './middleware/csrf.js';
import { errorHandler, notFound } from './middleware/errors.js';
import { storageDir } from './db/database.js';
import { jsonBody } from './middleware/json-body.js';
import { requestId } from './middleware/request-id.js';
import { sequence } from './middleware/sequence.js';
import { wellFormedPath } from './middleware/path-escapes.js';
import { HttpError } from './http/http-error.js';
import { RouteTable } from './http/route-table.js';
import { projectRoutes } from './projects/projects.routes.js';
import { userRoutes } from './users/users.routes.js';
import { organizationRoutes } from './orgs/orgs.routes.js';
import { memberRoutes } from './members/members.routes.js';
import { invitationRoutes } from './invitations/invitations.routes.js';
import { teamRoutes } from './teams/teams.routes.js';
import { paymentRoutes } from './billing/payments.routes.js';
import { subscriptionRoutes } from './billing/subscription.routes.js';
import { rateLimitRoutes } from './rate-limit/rate-limits.routes.js';
import { testClockRoutes } from './time/test-clock.js';
import { accountRoutes } from './auth/account.routes.js';
import { adminRoutes } from './admin/admin.routes.js';
import { webRoutes } from './web/routes.js';
import { auditRoutes } from './audit/audit.routes.js';
import { requestContext } from './audit/request-context.js';
import { webhookRoutes } from './webhooks/webhooks.routes.js';
import { webhookRelayRoutes } from './webhooks/relay.routes.js';
import { credentialCacheTestRoutes } from './auth/credential-cache.js';
import { OAUTH_FORM_PATHS, oauthRoutes } from './oauth/oauth.routes.js';
import { OAUTH_PAGE_PATHS, oauthPageRoutes } from './oauth/pages.routes.js';
import { oauthGrantRoutes } from './oauth/grants.routes.js';
import { mcpCors, mcpRoutes } from './mcp/mcp.routes.js';

/** Pages a browser posts a form to: their single-use token is their CSRF protection. */
const FORM_PATHS = new Set(['/api/auth/verify-email', '/api/auth/reset-password', ...OAUTH_FORM_PATHS]);

/** The Express app, without listening: main.ts and tests decide where it runs. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  // Responses are `no-store`: an ETag (a hash of every body) would buy nothing.
  app.set('etag', false);
  app.set('trust proxy', deps.config.trustProxy);
  app.set('query parser', 'simple');
  // Audit rows (audit/audit.ts) take their time from the app's clock: the test clock in tests.
  app.locals['clock'] = deps.clock;

  const prelude: RequestHandler[] = [
    requestId(),
    requestContext(),
    securityHeaders(
      {
        contentSecurityPolicy: {
          useDefaults: false,
          directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], objectSrc: ["'none'"], formAction: ["'self'"] },
        },
        strictTransportSecurity: { maxAge: 31536000, includeSubDomains: true },
        referrerPolicy: { policy: 'no-referrer' },
        // A JSON API needs CSP, HSTS, nosniff, no-referrer and frame denial (SECURITY.md); the
        // rest of helmet's defaults concern HTML pages and would add ~250 bytes to every response.
        crossOriginOpenerPolicy: false,
        crossOriginResourcePolicy: false,
        originAgentCluster: false,
        xDnsPrefetchControl: false,
        xDownloadOptions: false,
        xPermittedCrossDomainPolicies: false,
        xXssProtection: false,
        xFrameOptions: { action: 'deny' },
      },
      { 'Cache-Control': 'no-store' },
    ),
  ];
  // Every request spends the per-IP `global` budget before anything reads it: unknown paths and
  // requests refused below (bad escapes, bodies, CSRF) are counted too.
  if (deps.rateLimits.countsEveryRequest) prelude.push(async (req, res, next) => {
    await deps.rateLimits.byRequest(req, res);
    next();
  });
  prelude.push(
    wellFormedPath(),
    // MCP and OAuth discovery: CORS for browser-based clients, before CSRF and the OPTIONS refusal.
    mcpCors(deps),
  );
  // One layer for the prelude: Express's router costs more per layer than each of these checks.
  app.use(sequence(prelude));
  // The web console (server-rendered pages, issue 17): its own CSP, form bodies and CSRF tokens.
  app.use(webRoutes(deps));
  app.use(sequence([
    ...jsonBody(deps.config.bodyLimit, FORM_PATHS, deps.config.intakeBodyLimit),
    // /mcp takes bearer tokens only (never the cookie), so it is answered before the CSRF check.
    mcpRoutes(deps),
    csrf(() => new URL(deps.baseUrl()).origin, deps.config.trustedOrigins, OAUTH_PAGE_PATHS),
    // CORS is off: no preflight to answer, and Express's automatic OPTIONS reply is not the envelope.
    (req, _res, next) => next(req.method === 'OPTIONS' ? new HttpError('NOT_FOUND', 'OPTIONS is not supported: this API does not serve cross-origin requests') : undefined),
  ]));
  if (deps.testClock) app.use(testClockRoutes(deps.testClock));
  if (deps.testClock && deps.credentialCache) app.use(credentialCacheTestRoutes(deps.credentialCache));
  // One table for every route: a map lookup finds a fixed path, instead of testing ~70 patterns in turn.
  const api = new RouteTable();
  for (const mount of [
    metaRoutes, authRoutes, keyRoutes, teamKeyRoutes, intakeRoutes, userRoutes, projectRoutes, organizationRoutes,
    memberRoutes, invitationRoutes, teamRoutes, paymentRoutes, subscriptionRoutes, rateLimitRoutes, accountRoutes, adminRoutes,
    oauthRoutes, oauthPageRoutes, oauthGrantRoutes, webhookRoutes, webhookRelayRoutes, auditRoutes,
  ]) {
    mount(deps, api.router);
  }
  app.use(api.middleware());

  app.use(notFound());
  app.use(errorHandler(deps.logger, storageDir(deps.config)));
  return app;
}
