import { CompiledQuery, PostgresAdapter, type Kysely } from 'kysely';
import type { WebhookEventType } from '@acct/shared';
import type { Database, WebhookDeliveryRow } from '../db/schema.js';
import { ulid } from '../db/ids.js';
import { preparedOnPostgres } from '../db/database.js';

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
 * The outbox INSERT … SELECT; `p(n)` writes parameter n (1-based) in the dialect's form. An
 * endpoint subscribes when its JSON list of events holds the quoted type: `instr`/`strpos`, not
 * `LIKE ?`, because SQLite re-prepares a statement whose LIKE pattern is a parameter every time a
 * value is bound to it (the LIKE optimisation may depend on it), which cost every audited write a
 * parse and a plan.
 */
export const queueSql = (p: (n: number) => string, contains: (haystack: string, needle: string) => string) =>
  `INSERT INTO webhook_deliveries (id, endpoint_id, organization_id, message_id, event_type, payload, status, attempts, next_attempt_at, created_at)
   SELECT ${p(1)} || e.id, e.id, e.organization_id, ${p(2)}, ${p(3)}, ${p(4)}, 'pending', 0, ${p(5)}, ${p(6)}
   FROM webhook_endpoints e WHERE e.organization_id = ${p(7)} AND e.enabled = 1 AND ${contains('e.events', p(8))}`;
/** `needle` occurs in `haystack`, per dialect. */
export const SQLITE_CONTAINS = (haystack: string, needle: string) => `instr(${haystack}, ${needle}) > 0`;
export const POSTGRES_CONTAINS = (haystack: string, needle: string) => `strpos(${haystack}, ${needle}) > 0`;
/** Plain SQL, as the audit row's insert: it runs in every audited write of an organization. */
export const QUEUE = { sqlite: queueSql(() => '?', SQLITE_CONTAINS), postgres: preparedOnPostgres(queueSql((n) => `$${n}::text`, POSTGRES_CONTAINS)) };

/**
 * The outbox statement's parameters for one event (QUEUE's order): a delivery's id is the event's
 * ULID and the endpoint's id (unique, and ordered by time).
 */
export function queueParameters(event: WebhookEvent): unknown[] {
  const id = ulid(event.now.getTime());
  const at = event.now.toISOString();
  return [`${id}_`, `msg_${id}`, event.type, eventBody(event.type, event.now, event.data), at, at, event.organizationId, `"${event.type}"`];
}

/**
 * Writes the event into the outbox, one delivery per enabled endpoint of the organization that
 * subscribes to its type, in the caller's transaction: the event exists exactly when the change
 * does. One INSERT … SELECT, so an organization without endpoints pays one indexed read.
 */
export async function queueEvent(db: Kysely<Database>, event: WebhookEvent): Promise<void> {
  await db.executeQuery(CompiledQuery.raw(db.getExecutor().adapter instanceof PostgresAdapter ? QUEUE.postgres : QUEUE.sqlite, queueParameters(event)));
}
