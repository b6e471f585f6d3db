import type { Router } from 'express';
import { ROUTES, WEBHOOK_EVENT_TYPES } from '@acct/shared';
import type { AppDeps } from '../deps.js';
import { bind, membershipOf } from '../http/bind.js';
import { createRelay, pollRelay, reportRelayResult } from './relay.js';
import { toDelivery, toWebhook } from './webhooks.service.js';

/** Relay endpoints for `acct webhooks listen` (relay.ts). */
export function webhookRelayRoutes(deps: AppDeps, r: Router): void {
  bind(r, deps, ROUTES.createWebhookRelay, async (ctx) => {
    const { organizationId } = membershipOf(ctx);
    const { row, secret } = await createRelay(deps, {
      organizationId, events: ctx.body.events ?? [...WEBHOOK_EVENT_TYPES], description: ctx.body.description ?? 'acct webhooks listen',
      createdBy: ctx.principal?.subject.kind === 'user' ? ctx.principal.subject.id : null,
    });
    return { data: { ...toWebhook(row), secret } };
  });

  bind(r, deps, ROUTES.pollWebhookRelay, async (ctx) => {
    const { organizationId } = membershipOf(ctx);
    // The listener hanging up ends the wait (nothing is claimed after that). The response's
    // 'close' (not the request's, which fires once the body is read) means the connection went.
    const gone = new AbortController();
    ctx.req.res?.once('close', () => gone.abort());
    const data = await pollRelay(deps, organizationId, ctx.params['webhookId'] ?? '', ctx.body.wait ?? 20, gone.signal);
    return { data };
  });

  bind(r, deps, ROUTES.reportWebhookRelayResult, async (ctx) => {
    const { organizationId } = membershipOf(ctx);
    const row = await reportRelayResult(deps, organizationId, ctx.params['webhookId'] ?? '', ctx.params['deliveryId'] ?? '', ctx.body);
    return { data: toDelivery(row) };
  });
}
