import { Router } from 'express';
import { ROUTES } from '@acct/shared';
import type { AppDeps } from '../deps.js';
import { bind, principalOf, userOf } from '../http/bind.js';
import { iso } from '../time/clock.js';
import { HttpError } from '../http/http-error.js';
import { checkCredentials } from './auth.service.js';
import { confirmEmailChange, reauthenticate, requestEmailChange } from './account.service.js';

function sessionIdOf(ctx: Parameters<typeof principalOf>[0]): string {
  const principal = principalOf(ctx);
  if (!principal.interactive) throw new HttpError('FORBIDDEN', 'This route needs a signed-in session');
  return principal.credential.id;
}

/** Re-authentication and email change (`/api/auth`), as the web console uses them. */
export function accountRoutes(deps: AppDeps, r: Router = Router()): Router {
  bind(r, deps, ROUTES.reauthenticate, async (ctx) => {
    const at = await reauthenticate(deps, userOf(ctx), sessionIdOf(ctx), ctx.body.password, { req: ctx.req, res: ctx.res, contract: ROUTES.reauthenticate });
    return { data: { ok: true as const, reauthenticatedAt: iso(at) } };
  });

  bind(r, deps, ROUTES.changeEmail, async (ctx) => {
    const user = userOf(ctx);
    sessionIdOf(ctx);
    // The password, under the sign-in's limits and lockout: a stolen session alone cannot move the account.
    await checkCredentials(deps, { email: user.email, password: ctx.body.password }, { req: ctx.req, res: ctx.res, contract: ROUTES.changeEmail });
    const pendingEmail = await requestEmailChange(deps, user, ctx.body.newEmail);
    return { data: { ok: true as const, pendingEmail } };
  });

  bind(r, deps, ROUTES.confirmEmailChange, async (ctx) => ({ data: await confirmEmailChange(deps, ctx.body.token) }));
  return r;
}
