import { Type } from '@sinclair/typebox';
import { defineRoute } from '../contract.js';
import { Strict } from '../schemas.js';

/**
 * The plans: how many seats each allows and the credits it includes. A new organization
 * starts on `free` with its included credits in the ledger; moving to a plan with more
 * included credits adds the difference as a top-up.
 */
export const PLANS = {
  free: { maxSeats: 5, includedCredits: 100 },
  team: { maxSeats: 100, includedCredits: 1_000 },
  business: { maxSeats: 1_000, includedCredits: 10_000 },
} as const;

export type PlanName = keyof typeof PLANS;
export const PLAN_NAMES = Object.keys(PLANS) as PlanName[];
export const PlanSchema = Type.Union(PLAN_NAMES.map((p) => Type.Literal(p)));

export const Subscription = Type.Object({
  plan: PlanSchema,
  seats: Type.Integer(),
  includedCredits: Type.Integer(),
  creditBalance: Type.Integer(),
});

const path = '/api/user/organizations/:organizationId/subscription';

export const getSubscription = defineRoute({
  method: 'GET', path, tag: 'subscription', auth: 'user', scope: 'subscription:read', tenant: true,
  summary: 'Plan, seats, included credits and credit balance', message: 'Subscription fetched successfully',
  data: Subscription,
});

export const updateSubscription = defineRoute({
  method: 'PATCH', path, tag: 'subscription', auth: 'user', scope: 'subscription:write', tenant: true,
  summary: 'Change plan or seats (owners; seats never below the current members)', message: 'Subscription updated',
  body: Strict({ plan: Type.Optional(PlanSchema), seats: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000 })) }),
  data: Subscription,
});
