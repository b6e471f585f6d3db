import type { Router } from 'express';
import { ROUTES } from '@acct/shared';
import type { AppDeps } from '../deps.js';
import { bind, membershipOf } from '../http/bind.js';
import {
  createWebhook, deleteWebhook, getWebhook, listWebhookDeliveries, listWebhooks, redeliverWebhook, rotateWebhookSecret, testWebhook, updateWebhook,
} from './webhooks.service.js';

/** Webhook endpoints of an organization (`…/organizations/:organizationId/webhooks`); the work is in webhooks.service.ts. */
export function webhookRoutes(deps: AppDeps, r: Router): void {
  const webhookId = (ctx: { params: Record<string, string | undefined> }) => ctx.params['webhookId'] ?? '';

  bind(r, deps, ROUTES.listWebhooks, async (ctx) => listWebhooks(deps, membershipOf(ctx).organizationId, ctx.query));

  bind(r, deps, ROUTES.createWebhook, async (ctx) => {
    const createdBy = ctx.principal?.subject.kind === 'user' ? ctx.principal.subject.id : null;
    return { data: await createWebhook(deps, membershipOf(ctx).organizationId, createdBy, ctx.body) };
  });

  bind(r, deps, ROUTES.getWebhook, async (ctx) => ({ data: await getWebhook(deps, membershipOf(ctx).organizationId, webhookId(ctx)) }));

  bind(r, deps, ROUTES.updateWebhook, async (ctx) => ({ data: await updateWebhook(deps, membershipOf(ctx).organizationId, webhookId(ctx), ctx.body) }));

  bind(r, deps, ROUTES.deleteWebhook, async (ctx) => ({ data: await deleteWebhook(deps, membershipOf(ctx).organizationId, webhookId(ctx)) }));

  bind(r, deps, ROUTES.rotateWebhookSecret, async (ctx) => ({
    data: await rotateWebhookSecret(deps, membershipOf(ctx).organizationId, webhookId(ctx), ctx.body.overlapSeconds),
  }));

  bind(r, deps, ROUTES.testWebhook, async (ctx) => ({ data: await testWebhook(deps, membershipOf(ctx).organizationId, webhookId(ctx)) }));

  bind(r, deps, ROUTES.listWebhookDeliveries, async (ctx) => listWebhookDeliveries(deps, membershipOf(ctx).organizationId, webhookId(ctx), ctx.query));

  bind(r, deps, ROUTES.redeliverWebhook, async (ctx) => ({
    data: await redeliverWebhook(deps, membershipOf(ctx).organizationId, webhookId(ctx), ctx.params['deliveryId'] ?? ''),
  }));
}
