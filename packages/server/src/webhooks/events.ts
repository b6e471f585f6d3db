import type { Kysely } from 'kysely';
import type { WebhookEventType } from '@acct/shared';
import type { Database, WebhookDeliveryRow } from '../db/schema.js';
import { ulid } from '../http/ids.js';

export interface WebhookEvent {
  organizationId: string;
  type: WebhookEventType;
  data: Record<string, unknown>;
  now: Date;
}

/** The body every endpoint receives (Standard Webhooks): `{ type, timestamp, data }`. */
export function eventBody(type: string, now: Date, data: Record<string, unknown>): string {
  return JSON.stringify({ type, timestamp: now.toISOString(), data });
}

/** A pending delivery of one message to one endpoint, due now. */
export function newDelivery(endpointId: string, organizationId: string, messageId: string, type: string, payload: string, now: Date): WebhookDeliveryRow {
  const at = now.toISOString();
  return {
    id: ulid(now.getTime()), endpoint_id: endpointId, organization_id: organizationId, message_id: messageId, event_type: type, payload,
    status: 'pending', attempts: 0, next_attempt_at: at, lease_until: null, last_attempt_at: null, last_status_code: null,
    last_duration_ms: null, last_error: null, created_at: at, delivered_at: null,
  };
}

/**
 * Writes the event into the outbox, one delivery per enabled endpoint of the organization that
 * subscribes to its type, in the caller's transaction: the event exists exactly when the change does.
 */
export async function queueEvent(db: Kysely<Database>, event: WebhookEvent): Promise<number> {
  const endpoints = await db
    .selectFrom('webhook_endpoints').select(['id', 'events'])
    .where('organization_id', '=', event.organizationId).where('enabled', '=', 1)
    .execute();
  const subscribed = endpoints.filter((e) => (JSON.parse(e.events) as string[]).includes(event.type));
  if (subscribed.length === 0) return 0;
  const messageId = `msg_${ulid(event.now.getTime())}`;
  const payload = eventBody(event.type, event.now, event.data);
  await db.insertInto('webhook_deliveries').values(subscribed.map((e) => newDelivery(e.id, event.organizationId, messageId, event.type, payload, event.now))).execute();
  return subscribed.length;
}
