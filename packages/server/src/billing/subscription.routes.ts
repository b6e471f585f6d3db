import { Router } from 'express';
import { ROUTES } from '@acct/shared';
import type { AppDeps } from '../deps.js';
import { bind, membershipOf } from '../http/bind.js';
import { changeSubscription, readSubscription, toSubscription } from './subscription.service.js';

/** Plan, seats and credit balance (`…/organizations/:organizationId/subscription`). */
export function subscriptionRoutes(deps: AppDeps, r: Router = Router()): Router {

  bind(r, deps, ROUTES.getSubscription, async (ctx) => {
    const { organizationId } = membershipOf(ctx);
    return { data: await readSubscription(deps, organizationId) };
  });

  bind(r, deps, ROUTES.updateSubscription, async (ctx) => {
    const { organizationId } = membershipOf(ctx);
    return { data: toSubscription(await changeSubscription(deps, organizationId, ctx.body)) };
  });

  return r;
}
