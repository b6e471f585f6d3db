import type { Router } from 'express';
import { ROUTES, type WebhookEventType } from '@acct/shared';
import type { AppDeps } from '../deps.js';
import type { WebhookDeliveryRow, WebhookEndpointRow } from '../db/schema.js';
import { record } from '../audit/audit.js';
import { bind, membershipOf } from '../http/bind.js';
import { iso } from '../time/clock.js';
import { HttpError } from '../http/http-error.js';
import { ulid } from '../db/ids.js';
import { decodeCursor, page } from '../http/pagination.js';
import { checkDestination, DestinationError } from './destination.js';
import { eventBody, newDelivery } from './events.js';
import { encryptSecret, newSigningSecret, secretsKey } from './signing.js';

const DEFAULT_OVERLAP_SECONDS = 86_400;

/** The API shape of an endpoint (never its secret). */
export function toWebhook(row: WebhookEndpointRow) {
  return {
    id: row.id,
    organizationId: row.organization_id,
    kind: (row.relay_expires_at === null ? 'url' : 'relay') as 'url' | 'relay',
    url: row.url,
    description: row.description,
    events: JSON.parse(row.events) as WebhookEventType[],
    status: (!row.enabled ? 'disabled' : row.failing_since ? 'failing' : 'active') as 'active' | 'failing' | 'disabled',
    failingSince: row.failing_since,
    secretRotatedAt: row.secret_rotated_at,
    previousSecretExpiresAt: row.previous_secret_enc ? row.previous_secret_expires_at : null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The API shape of a delivery. */
export function toDelivery(row: WebhookDeliveryRow) {
  return {
    id: row.id,
    webhookId: row.endpoint_id,
    messageId: row.message_id,
    eventType: row.event_type as WebhookEventType,
    status: row.status as 'pending' | 'delivered' | 'failed',
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    lastAttemptAt: row.last_attempt_at,
    lastStatusCode: row.last_status_code,
    lastDurationMs: row.last_duration_ms,
    lastError: row.last_error,
    createdAt: row.created_at,
    deliveredAt: row.delivered_at,
  };
}

/** Webhook endpoints of an organization (`…/organizations/:organizationId/webhooks`). */
export function webhookRoutes(deps: AppDeps, r: Router): void {
  function destination(url: string): string {
    try {
      return checkDestination(url, deps.config.webhooksAllowPrivate).toString();
    } catch (err) {
      if (err instanceof DestinationError) throw new HttpError('VALIDATION_ERROR', err.message, [{ field: 'url', message: err.message }]);
      throw err;
    }
  }

  async function find(organizationId: string, webhookId: string): Promise<WebhookEndpointRow> {
    const row = await deps.db.selectFrom('webhook_endpoints').selectAll().where('organization_id', '=', organizationId).where('id', '=', webhookId).executeTakeFirst();
    // Another organization's endpoint, or none: the same 404.
    if (!row) throw new HttpError('NOT_FOUND', 'No such webhook in this organization');
    return row;
  }

  bind(r, deps, ROUTES.listWebhooks, async (ctx) => {
    const { organizationId } = membershipOf(ctx);
    const limit = ctx.query.limit ?? 20;
    const cursor = decodeCursor(ctx.query.cursor);
    let q = deps.db.selectFrom('webhook_endpoints').selectAll().where('organization_id', '=', organizationId);
    if (cursor) q = q.where('id', '>', cursor);
    const { items, pagination } = page(await q.orderBy('id').limit(limit + 1).execute(), limit);
    return { data: items.map(toWebhook), pagination };
  });

  bind(r, deps, ROUTES.createWebhook, async (ctx) => {
    const { organizationId } = membershipOf(ctx);
    const url = destination(ctx.body.url);
    const secret = newSigningSecret();
    const now = deps.clock.now();
    const row: WebhookEndpointRow = {
      id: ulid(now.getTime()), organization_id: organizationId, url, description: ctx.body.description ?? '', events: JSON.stringify(ctx.body.events),
      secret_enc: encryptSecret(await secretsKey(deps), secret), previous_secret_enc: null, previous_secret_expires_at: null, secret_rotated_at: null,
      enabled: 1, consecutive_failures: 0, failing_since: null, created_by: ctx.principal?.subject.kind === 'user' ? ctx.principal.subject.id : null, created_at: iso(now), updated_at: iso(now),
      relay_expires_at: null,
    };
    await deps.db.transaction().execute(async (trx) => {
      await trx.insertInto('webhook_endpoints').values(row).execute();
      await record(trx, { now, action: 'webhook.created', organizationId, target: { type: 'webhook', id: row.id }, detail: { url: url.split('?')[0], events: ctx.body.events } });
    });
    return { data: { ...toWebhook(row), secret } };
  });

  bind(r, deps, ROUTES.getWebhook, async (ctx) => {
    const { organizationId } = membershipOf(ctx);
    return { data: toWebhook(await find(organizationId, ctx.params['webhookId'] ?? '')) };
  });

  bind(r, deps, ROUTES.updateWebhook, async (ctx) => {
    const { organizationId } = membershipOf(ctx);
    const existing = await find(organizationId, ctx.params['webhookId'] ?? '');
    const now = deps.clock.now();
    const b = ctx.body;
    if (b.url !== undefined && existing.relay_expires_at !== null)
      throw new HttpError('VALIDATION_ERROR', 'A relay (acct webhooks listen) has no URL', [{ field: 'url', message: 'a relay has no URL' }]);
    const changes = {
      ...(b.url !== undefined ? { url: destination(b.url) } : {}),
      ...(b.events !== undefined ? { events: JSON.stringify(b.events) } : {}),
      ...(b.description !== undefined ? { description: b.description } : {}),
      // Re-enabling starts a fresh run: the endpoint is not failing until it fails again.
      ...(b.enabled !== undefined ? { enabled: b.enabled ? 1 : 0, ...(b.enabled && !existing.enabled ? { consecutive_failures: 0, failing_since: null } : {}) } : {}),
      updated_at: iso(now),
    };
    await deps.db.transaction().execute(async (trx) => {
      await trx.updateTable('webhook_endpoints').set(changes).where('id', '=', existing.id).where('organization_id', '=', organizationId).execute();
      await record(trx, { now, action: 'webhook.updated', organizationId, target: { type: 'webhook', id: existing.id }, detail: { fields: Object.keys(b) } });
    });
    return { data: toWebhook({ ...existing, ...changes }) };
  });

  bind(r, deps, ROUTES.deleteWebhook, async (ctx) => {
    const { organizationId } = membershipOf(ctx);
    const existing = await find(organizationId, ctx.params['webhookId'] ?? '');
    await deps.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('webhook_deliveries').where('endpoint_id', '=', existing.id).execute();
      await trx.deleteFrom('webhook_endpoints').where('id', '=', existing.id).where('organization_id', '=', organizationId).execute();
      await record(trx, { action: 'webhook.deleted', organizationId, target: { type: 'webhook', id: existing.id }, detail: { url: existing.url.split('?')[0] } });
    });
    return { data: { id: existing.id, deleted: true as const } };
  });

  bind(r, deps, ROUTES.rotateWebhookSecret, async (ctx) => {
    const { organizationId } = membershipOf(ctx);
    const existing = await find(organizationId, ctx.params['webhookId'] ?? '');
    const now = deps.clock.now();
    const overlap = ctx.body.overlapSeconds ?? DEFAULT_OVERLAP_SECONDS;
    const secret = newSigningSecret();
    const changes = {
      secret_enc: encryptSecret(await secretsKey(deps), secret),
      previous_secret_enc: overlap > 0 ? existing.secret_enc : null,
      previous_secret_expires_at: overlap > 0 ? iso(new Date(now.getTime() + overlap * 1000)) : null,
      secret_rotated_at: iso(now),
      updated_at: iso(now),
    };
    await deps.db.transaction().execute(async (trx) => {
      await trx.updateTable('webhook_endpoints').set(changes).where('id', '=', existing.id).where('organization_id', '=', organizationId).execute();
      await record(trx, { now, action: 'webhook.secret_rotated', organizationId, target: { type: 'webhook', id: existing.id }, detail: { overlapSeconds: overlap } });
    });
    return { data: { ...toWebhook({ ...existing, ...changes }), secret } };
  });

  bind(r, deps, ROUTES.testWebhook, async (ctx) => {
    const { organizationId } = membershipOf(ctx);
    const existing = await find(organizationId, ctx.params['webhookId'] ?? '');
    if (!existing.enabled) throw new HttpError('CONFLICT', 'The webhook is disabled; enable it first');
    const now = deps.clock.now();
    const payload = eventBody('webhook.test', now, { webhookId: existing.id, organizationId });
    const delivery = newDelivery(existing.id, organizationId, `msg_${ulid(now.getTime())}`, 'webhook.test', payload, now);
    await deps.db.insertInto('webhook_deliveries').values(delivery).execute();
    return { data: toDelivery(delivery) };
  });

  bind(r, deps, ROUTES.listWebhookDeliveries, async (ctx) => {
    const { organizationId } = membershipOf(ctx);
    const endpoint = await find(organizationId, ctx.params['webhookId'] ?? '');
    const limit = ctx.query.limit ?? 20;
    const cursor = decodeCursor(ctx.query.cursor);
    let q = deps.db.selectFrom('webhook_deliveries').selectAll().where('endpoint_id', '=', endpoint.id);
    if (ctx.query.status) q = q.where('status', '=', ctx.query.status);
    if (cursor) q = q.where('id', '<', cursor);
    const { items, pagination } = page(await q.orderBy('id', 'desc').limit(limit + 1).execute(), limit);
    return { data: items.map(toDelivery), pagination };
  });

  bind(r, deps, ROUTES.redeliverWebhook, async (ctx) => {
    const { organizationId } = membershipOf(ctx);
    const endpoint = await find(organizationId, ctx.params['webhookId'] ?? '');
    if (!endpoint.enabled) throw new HttpError('CONFLICT', 'The webhook is disabled; enable it first');
    const original = await deps.db.selectFrom('webhook_deliveries').selectAll().where('endpoint_id', '=', endpoint.id).where('id', '=', ctx.params['deliveryId'] ?? '').executeTakeFirst();
    if (!original) throw new HttpError('NOT_FOUND', 'No such delivery for this webhook');
    const now = deps.clock.now();
    // Same message (webhook-id and body), so a receiver that already has it can tell.
    const delivery = newDelivery(endpoint.id, organizationId, original.message_id, original.event_type, original.payload, now);
    await deps.db.transaction().execute(async (trx) => {
      await trx.insertInto('webhook_deliveries').values(delivery).execute();
      await record(trx, { now, action: 'webhook.redelivered', organizationId, target: { type: 'webhook_delivery', id: original.id }, detail: { webhookId: endpoint.id } });
    });
    return { data: toDelivery(delivery) };
  });
}
