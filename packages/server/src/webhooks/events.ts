import type { WebhookDeliveryRow } from '../db/schema.js';
import { ulid } from '../db/ids.js';

/** The body every endpoint receives (Standard Webhooks): `{ type, timestamp, data }`; `at` is an ISO time. */
export function eventBody(type: string, at: string, data: Record<string, unknown>): string {
  return JSON.stringify({ type, timestamp: at, data });
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
