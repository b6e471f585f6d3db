import express, { Router, type Express } from 'express';
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
import { wellFormedPath } from './middleware/path-escapes.js';
import { HttpError } from './http/http-error.js';
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
import { auditRoutes } from './audit/audit.routes.js';
import { requestContext } from './audit/request-context.js';
import { webhookRoutes } from './webhooks/webhooks.routes.js';

/** Pages a browser posts a form to: their single-use token is their CSRF protection. */
const FORM_PATHS = new Set(['/api/auth/verify-email', '/api/auth/reset-password']);

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

  app.use(requestId());
  app.use(requestContext());
  app.use(
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
  );
  // Every request spends the per-IP `global` budget before anything reads it: unknown paths and
  // requests refused below (bad escapes, bodies, CSRF) are counted too.
  app.use(async (req, res, next) => {
    await deps.rateLimits.byRequest(req, res);
    next();
  });
  app.use(wellFormedPath());
  app.use(jsonBody(deps.config.bodyLimit, FORM_PATHS, deps.config.intakeBodyLimit));
  app.use(csrf(() => new URL(deps.baseUrl()).origin, deps.config.trustedOrigins));

  // CORS is off: no preflight to answer, and Express's automatic OPTIONS reply is not the envelope.
  app.use((req, _res, next) => next(req.method === 'OPTIONS' ? new HttpError('NOT_FOUND', 'OPTIONS is not supported: this API does not serve cross-origin requests') : undefined));
  if (deps.testClock) app.use(testClockRoutes(deps.testClock));
  // One router for every route: walking fourteen nested routers cost more than the lookup.
  const api = Router();
  for (const mount of [
    metaRoutes, authRoutes, keyRoutes, teamKeyRoutes, intakeRoutes, userRoutes, projectRoutes, organizationRoutes,
    memberRoutes, invitationRoutes, teamRoutes, paymentRoutes, subscriptionRoutes, rateLimitRoutes, webhookRoutes, auditRoutes,
  ]) {
    mount(deps, api);
  }
  app.use(api);

  app.use(notFound());
  app.use(errorHandler(deps.logger, storageDir(deps.config)));
  return app;
}
