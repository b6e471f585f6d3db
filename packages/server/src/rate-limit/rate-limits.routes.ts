import { Router } from 'express';
import { ROUTES } from '@acct/shared';
import type { AppDeps } from '../deps.js';
import { bind } from '../http/bind.js';
import { authenticate, presentedCredential } from '../auth/credentials/index.js';
import { clientIp } from './rate-limits.js';

/** `GET /api/auth/rate-limits`: public; a caller who sends a credential also sees its own budgets. */
export function rateLimitRoutes(deps: AppDeps, r: Router = Router()): Router {
  bind(r, deps, ROUTES.getRateLimits, async ({ req }) => {
    const caller = presentedCredential(req) ? await authenticate(deps, req) : null;
    const { lockout } = deps.rateLimits.config;
    return {
      data: {
        enabled: deps.rateLimits.config.enabled,
        caller: { ip: clientIp(req), credential: caller ? { kind: caller.credential.kind, id: caller.credential.id } : null },
        limits: await deps.rateLimits.describe(req, caller),
        lockout: { perIp: lockout.perIp, perAccount: lockout.perAccount, blockAt: lockout.blockAt },
      },
    };
  });
  return r;
}
