import { Router } from 'express';
import { ROUTES, subscription } from '@acct/shared';
import type { AppDeps } from '../deps.js';
import type { OrganizationRow } from '../db/schema.js';
import { bind, membershipOf } from '../http/bind.js';
import { iso } from '../http/clock.js';
import { HttpError } from '../http/http-error.js';
import { lockOrganization, memberCount } from '../members/members.service.js';
import { applyCredit } from './credits.service.js';

type PlanName = subscription.PlanName;
const { PLANS } = subscription;

function toSubscription(row: OrganizationRow) {
  return { plan: row.plan as PlanName, seats: row.seats, includedCredits: row.included_credits, creditBalance: row.credit_balance };
}

/** Plan, seats and credit balance (`…/organizations/:organizationId/subscription`). */
export function subscriptionRoutes(deps: AppDeps, r: Router = Router()): Router {

  bind(r, deps, ROUTES.getSubscription, async (ctx) => {
    const { organizationId } = membershipOf(ctx);
    return { data: toSubscription(await deps.db.selectFrom('organizations').selectAll().where('id', '=', organizationId).executeTakeFirstOrThrow()) };
  });

  bind(r, deps, ROUTES.updateSubscription, async (ctx) => {
    const { organizationId } = membershipOf(ctx);
    const now = deps.clock.now();
    const updated = await deps.db.transaction().execute(async (trx) => {
      await lockOrganization(trx, organizationId);
      const org = await trx.selectFrom('organizations').selectAll().where('id', '=', organizationId).executeTakeFirstOrThrow();
      const plan = (ctx.body.plan ?? org.plan) as PlanName;
      const limits = PLANS[plan];
      const seats = ctx.body.seats ?? Math.min(org.seats, limits.maxSeats);
      if (seats > limits.maxSeats)
        throw new HttpError('VALIDATION_ERROR', `The ${plan} plan allows at most ${limits.maxSeats} seats`, [{ field: 'seats', message: `at most ${limits.maxSeats} on the ${plan} plan` }]);
      const members = await memberCount(trx, organizationId);
      if (seats < members)
        throw new HttpError('CONFLICT', `The organization has ${members} members: seats cannot drop below that`, [{ field: 'seats', message: `at least ${members}` }]);
      // An upgrade brings the credits the new plan includes beyond the old one's; a downgrade takes none back.
      const extra = limits.includedCredits - org.included_credits;
      if (plan !== org.plan && extra > 0)
        await applyCredit(trx, { organizationId, amount: extra, description: `Included credits of the ${plan} plan`, idempotencyKey: null, now });
      await trx.updateTable('organizations')
        .set({ plan, seats, included_credits: limits.includedCredits, updated_at: iso(now) })
        .where('id', '=', organizationId).execute();
      return trx.selectFrom('organizations').selectAll().where('id', '=', organizationId).executeTakeFirstOrThrow();
    });
    return { data: toSubscription(updated) };
  });

  return r;
}
