import type { Pagination, WebhookEventType } from '@acct/shared';
import type { AppDeps } from '../deps.js';
import type { WebhookDeliveryRow, WebhookEndpointRow } from '../db/schema.js';
import { flushBeforeReading } from '../audit/outbox.js';
import { record } from '../audit/audit.js';
import { iso } from '../time/clock.js';
import { HttpError } from '../http/http-error.js';
import { ulid } from '../db/ids.js';
import { decodeCursor, page } from '../http/pagination.js';
import { checkDestination, DestinationError } from './destination.js';
import { eventBody, newDelivery } from './events.js';
import { encryptSecret, newSigningSecret, secretsKey } from './signing.js';

/** Webhook endpoints of an organization: what the API routes and the console pages both call. */

const DEFAULT_OVERLAP_SECONDS = 86_400;

export type Webhook = ReturnType<typeof toWebhook>;
export type WebhookDelivery = ReturnType<typeof toDelivery>;

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

function destination(deps: AppDeps, url: string): string {
  try {
    return checkDestination(url, deps.config.webhooksAllowPrivate).toString();
  } catch (err) {
    if (err instanceof DestinationError) throw new HttpError('VALIDATION_ERROR', err.message, [{ field: 'url', message: err.message }]);
    throw err;
  }
}

async function find(deps: AppDeps, organizationId: string, webhookId: string): Promise<WebhookEndpointRow> {
  const row = await deps.db.selectFrom('webhook_endpoints').selectAll().where('organization_id', '=', organizationId).where('id', '=', webhookId).executeTakeFirst();
  // Another organization's endpoint, or none: the same 404.
  if (!row) throw new HttpError('NOT_FOUND', 'No such webhook in this organization');
  return row;
}

/** One page of the organization's endpoints, oldest first. */
export async function listWebhooks(deps: AppDeps, organizationId: string, query: { limit?: number | undefined; cursor?: string | undefined }): Promise<{ data: Webhook[]; pagination: Pagination }> {
  const limit = query.limit ?? 20;
  const cursor = decodeCursor(query.cursor);
  let q = deps.db.selectFrom('webhook_endpoints').selectAll().where('organization_id', '=', organizationId);
  if (cursor) q = q.where('id', '>', cursor);
  const { items, pagination } = page(await q.orderBy('id').limit(limit + 1).execute(), limit);
  return { data: items.map(toWebhook), pagination };
}

export async function getWebhook(deps: AppDeps, organizationId: string, webhookId: string): Promise<Webhook> {
  return toWebhook(await find(deps, organizationId, webhookId));
}

/** Creates an endpoint; its signing secret is in the answer and never again. */
export async function createWebhook(
  deps: AppDeps, organizationId: string, createdBy: string | null,
  input: { url: string; events: WebhookEventType[]; description?: string | undefined },
): Promise<Webhook & { secret: string }> {
  const url = destination(deps, input.url);
  const secret = newSigningSecret();
  const now = deps.clock.now();
  const row: WebhookEndpointRow = {
    id: ulid(now.getTime()), organization_id: organizationId, url, description: input.description ?? '', events: JSON.stringify(input.events),
    secret_enc: encryptSecret(await secretsKey(deps), secret), previous_secret_enc: null, previous_secret_expires_at: null, secret_rotated_at: null,
    enabled: 1, consecutive_failures: 0, failing_since: null, created_by: createdBy, created_at: iso(now), updated_at: iso(now),
    relay_expires_at: null,
  };
  await deps.db.transaction().execute(async (trx) => {
    await trx.insertInto('webhook_endpoints').values(row).execute();
    await record(trx, { now, action: 'webhook.created', organizationId, target: { type: 'webhook', id: row.id }, detail: { url: url.split('?')[0], events: input.events } });
  });
  return { ...toWebhook(row), secret };
}

export async function updateWebhook(
  deps: AppDeps, organizationId: string, webhookId: string,
  input: { url?: string | undefined; events?: WebhookEventType[] | undefined; description?: string | undefined; enabled?: boolean | undefined },
): Promise<Webhook> {
  const existing = await find(deps, organizationId, webhookId);
  const now = deps.clock.now();
  if (input.url !== undefined && existing.relay_expires_at !== null)
    throw new HttpError('VALIDATION_ERROR', 'A relay (acct webhooks listen) has no URL', [{ field: 'url', message: 'a relay has no URL' }]);
  const changes = {
    ...(input.url !== undefined ? { url: destination(deps, input.url) } : {}),
    ...(input.events !== undefined ? { events: JSON.stringify(input.events) } : {}),
    ...(input.description !== undefined ? { description: input.description } : {}),
    // Re-enabling starts a fresh run: the endpoint is not failing until it fails again.
    ...(input.enabled !== undefined ? { enabled: input.enabled ? 1 : 0, ...(input.enabled && !existing.enabled ? { consecutive_failures: 0, failing_since: null } : {}) } : {}),
    updated_at: iso(now),
  };
  const fields = Object.keys(input).filter((k) => input[k as keyof typeof input] !== undefined);
  await deps.db.transaction().execute(async (trx) => {
    await trx.updateTable('webhook_endpoints').set(changes).where('id', '=', existing.id).where('organization_id', '=', organizationId).execute();
    await record(trx, { now, action: 'webhook.updated', organizationId, target: { type: 'webhook', id: existing.id }, detail: { fields } });
  });
  return toWebhook({ ...existing, ...changes });
}

export async function deleteWebhook(deps: AppDeps, organizationId: string, webhookId: string): Promise<{ id: string; deleted: true }> {
  const existing = await find(deps, organizationId, webhookId);
  await deps.db.transaction().execute(async (trx) => {
    await trx.deleteFrom('webhook_deliveries').where('endpoint_id', '=', existing.id).execute();
    await trx.deleteFrom('webhook_endpoints').where('id', '=', existing.id).where('organization_id', '=', organizationId).execute();
    await record(trx, { action: 'webhook.deleted', organizationId, target: { type: 'webhook', id: existing.id }, detail: { url: existing.url.split('?')[0] } });
  });
  return { id: existing.id, deleted: true };
}

/** A new signing secret; the old one keeps signing beside it for `overlapSeconds`. */
export async function rotateWebhookSecret(deps: AppDeps, organizationId: string, webhookId: string, overlapSeconds?: number): Promise<Webhook & { secret: string }> {
  const existing = await find(deps, organizationId, webhookId);
  const now = deps.clock.now();
  const overlap = overlapSeconds ?? DEFAULT_OVERLAP_SECONDS;
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
  return { ...toWebhook({ ...existing, ...changes }), secret };
}

/** Queues a `webhook.test` event for one endpoint. */
export async function testWebhook(deps: AppDeps, organizationId: string, webhookId: string): Promise<WebhookDelivery> {
  const existing = await find(deps, organizationId, webhookId);
  if (!existing.enabled) throw new HttpError('CONFLICT', 'The webhook is disabled; enable it first');
  const now = deps.clock.now();
  const payload = eventBody('webhook.test', now.toISOString(), { webhookId: existing.id, organizationId });
  const delivery = newDelivery(existing.id, organizationId, `msg_${ulid(now.getTime())}`, 'webhook.test', payload, now);
  await deps.db.insertInto('webhook_deliveries').values(delivery).execute();
  return toDelivery(delivery);
}

/** One page of an endpoint's deliveries, newest first. */
export async function listWebhookDeliveries(
  deps: AppDeps, organizationId: string, webhookId: string,
  query: { limit?: number | undefined; cursor?: string | undefined; status?: 'pending' | 'delivered' | 'failed' | undefined },
): Promise<{ data: WebhookDelivery[]; pagination: Pagination }> {
  const endpoint = await find(deps, organizationId, webhookId);
  const limit = query.limit ?? 20;
  const cursor = decodeCursor(query.cursor);
  await flushBeforeReading(deps.db, deps.logger);
  let q = deps.db.selectFrom('webhook_deliveries').selectAll().where('endpoint_id', '=', endpoint.id);
  if (query.status) q = q.where('status', '=', query.status);
  if (cursor) q = q.where('id', '<', cursor);
  const { items, pagination } = page(await q.orderBy('id', 'desc').limit(limit + 1).execute(), limit);
  return { data: items.map(toDelivery), pagination };
}

/** Sends a delivery's message again (same webhook-id and body), as a new delivery. */
export async function redeliverWebhook(deps: AppDeps, organizationId: string, webhookId: string, deliveryId: string): Promise<WebhookDelivery> {
  const endpoint = await find(deps, organizationId, webhookId);
  if (!endpoint.enabled) throw new HttpError('CONFLICT', 'The webhook is disabled; enable it first');
  const original = await deps.db.selectFrom('webhook_deliveries').selectAll().where('endpoint_id', '=', endpoint.id).where('id', '=', deliveryId).executeTakeFirst();
  if (!original) throw new HttpError('NOT_FOUND', 'No such delivery for this webhook');
  const now = deps.clock.now();
  // Same message (webhook-id and body), so a receiver that already has it can tell.
  const delivery = newDelivery(endpoint.id, organizationId, original.message_id, original.event_type, original.payload, now);
  await deps.db.transaction().execute(async (trx) => {
    await trx.insertInto('webhook_deliveries').values(delivery).execute();
    await record(trx, { now, action: 'webhook.redelivered', organizationId, target: { type: 'webhook_delivery', id: original.id }, detail: { webhookId: endpoint.id } });
  });
  return toDelivery(delivery);
}
