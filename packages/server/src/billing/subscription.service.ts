import { subscription } from '@acct/shared';
import type { AppDeps } from '../deps.js';
import type { OrganizationRow } from '../db/schema.js';
import { iso } from '../time/clock.js';
import { HttpError } from '../http/http-error.js';
import { lockOrganization, memberCount } from '../members/members.repository.js';
import { updateOrganizationColumns } from '../orgs/orgs.repository.js';
import { loadOrganization } from '../orgs/orgs.service.js';
import { applyCredit } from './credits.repository.js';
import { billingPeriodStart } from './credits.service.js';
import { record } from '../audit/audit.js';

type PlanName = subscription.PlanName;
const { PLANS } = subscription;

export function toSubscription(row: OrganizationRow) {
  return { plan: row.plan as PlanName, seats: row.seats, includedCredits: row.included_credits, creditBalance: row.credit_balance };
}

/** The organization's plan, seats and credit balance, as `GET …/subscription` answers and the console shows. */
export async function readSubscription(deps: AppDeps, organizationId: string): Promise<ReturnType<typeof toSubscription>> {
  return toSubscription(await loadOrganization(deps.db, organizationId));
}

/**
 * Changes plan and seats under the organization's lock: seats within the plan and never below
 * the members, and the new plan's included credits granted at most once per billing period.
 */
export async function changeSubscription(deps: AppDeps, organizationId: string, input: { plan?: PlanName | undefined; seats?: number | undefined }): Promise<OrganizationRow> {
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    await lockOrganization(trx, organizationId);
    const org = await loadOrganization(trx, organizationId);
    const plan = input.plan ?? (org.plan as PlanName);
    const limits = PLANS[plan];
    const seats = input.seats ?? Math.min(org.seats, limits.maxSeats);
    if (seats > limits.maxSeats)
      throw new HttpError('VALIDATION_ERROR', `The ${plan} plan allows at most ${limits.maxSeats} seats`, [{ field: 'seats', message: `at most ${limits.maxSeats} on the ${plan} plan` }]);
    const members = await memberCount(trx, organizationId);
    if (seats < members)
      throw new HttpError('CONFLICT', `The organization has ${members} members: seats cannot drop below that`, [{ field: 'seats', message: `at least ${members}` }]);
    // Included credits are granted once per billing period, not per plan change: moving to a
    // plan brings what it includes beyond what this period has already granted, so a
    // free → business → free → business cycle pays out business's credits once. A downgrade
    // takes none back.
    const period = billingPeriodStart(org.created_at, now);
    const granted = org.credits_period_start === null || org.credits_period_start === period ? org.credits_granted : 0;
    const extra = plan !== org.plan ? Math.max(0, limits.includedCredits - granted) : 0;
    if (extra > 0)
      await applyCredit(trx, { organizationId, amount: extra, description: `Included credits of the ${plan} plan`, idempotencyKey: null, now });
    await updateOrganizationColumns(trx, organizationId, {
      plan, seats, included_credits: limits.includedCredits, credits_period_start: period, credits_granted: granted + extra, updated_at: iso(now),
    });
    await record(trx, { now, action: 'subscription.updated', organizationId, target: { type: 'organization', id: organizationId }, detail: { plan, seats, previousPlan: org.plan, previousSeats: org.seats } });
    return loadOrganization(trx, organizationId);
  });
}
