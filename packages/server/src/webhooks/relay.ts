import { sql } from 'kysely';
import { RELAY_TTL_SECONDS, type WebhookEventType } from '@acct/shared';
import type { AppDeps } from '../deps.js';
import { dialectOf } from '../db/database.js';
import type { WebhookDeliveryRow, WebhookEndpointRow } from '../db/schema.js';
import { ulid } from '../db/ids.js';
import { ANONYMOUS, record } from '../audit/audit.js';
import { flushBeforeReading } from '../audit/outbox.js';
import { HttpError } from '../http/http-error.js';
import { addSeconds, iso } from '../time/clock.js';
import { decryptSecret, encryptSecret, newSigningSecret, secretsKey, signatureHeader } from './signing.js';

/**
 * Relay endpoints (`acct webhooks listen`, like `stripe listen`): the server cannot reach a
 * developer's machine, so the CLI polls for the relay's deliveries, forwards each one, headers and
 * body as signed, to its local URL and reports the answer back. The worker never sends a relay's
 * deliveries; a poll claims them with a lease, as the worker does, so a delivery whose result
 * never comes back (the CLI died mid-forward) is handed out again once the lease ends.
 */

/** Relays an organization may have at once: each is a developer's terminal. */
const MAX_RELAYS = 10;
/** Deliveries handed out by one poll. */
const BATCH = 20;
/** How long a relayed delivery stays claimed waiting for its result. */
const LEASE_SECONDS = 60;
/** How often a waiting poll looks for new deliveries. */
const POLL_INTERVAL_MS = 200;

/** Aborted when the server drains: waiting polls answer at once instead of holding the drain up. */
const draining = new AbortController();

/** Ends every waiting relay poll of this process (SIGTERM): each answers with what it has, nothing. */
export function endRelayPolls(): void {
  draining.abort();
}

export interface RelayedDelivery {
  deliveryId: string;
  messageId: string;
  eventType: WebhookEventType;
  headers: { 'webhook-id': string; 'webhook-timestamp': string; 'webhook-signature': string };
  body: string;
}

/** A new relay endpoint of the organization, and its signing secret (shown once). */
export async function createRelay(deps: AppDeps, input: { organizationId: string; events: WebhookEventType[]; description: string; createdBy: string | null }): Promise<{ row: WebhookEndpointRow; secret: string }> {
  const now = deps.clock.now();
  const secret = newSigningSecret();
  const row: WebhookEndpointRow = {
    id: ulid(now.getTime()), organization_id: input.organizationId, url: '', description: input.description, events: JSON.stringify(input.events),
    secret_enc: encryptSecret(await secretsKey(deps), secret), previous_secret_enc: null, previous_secret_expires_at: null, secret_rotated_at: null,
    enabled: 1, consecutive_failures: 0, failing_since: null, created_by: input.createdBy, created_at: iso(now), updated_at: iso(now),
    relay_expires_at: iso(addSeconds(now, RELAY_TTL_SECONDS)),
  };
  await deps.db.transaction().execute(async (trx) => {
    const live = await trx.selectFrom('webhook_endpoints').select((eb) => eb.fn.countAll<number>().as('n'))
      .where('organization_id', '=', input.organizationId).where('relay_expires_at', 'is not', null).executeTakeFirstOrThrow();
    if (Number(live.n) >= MAX_RELAYS) throw new HttpError('CONFLICT', `This organization already has ${MAX_RELAYS} relays (acct webhooks listen); stop one first`);
    await trx.insertInto('webhook_endpoints').values(row).execute();
    await record(trx, { now, action: 'webhook.created', organizationId: input.organizationId, target: { type: 'webhook', id: row.id }, detail: { relay: true, events: input.events } });
  });
  return { row, secret };
}

async function findRelay(deps: AppDeps, organizationId: string, webhookId: string): Promise<WebhookEndpointRow> {
  const row = await deps.db.selectFrom('webhook_endpoints').selectAll().where('organization_id', '=', organizationId).where('id', '=', webhookId).executeTakeFirst();
  if (!row) throw new HttpError('NOT_FOUND', 'No such webhook in this organization');
  if (row.relay_expires_at === null) throw new HttpError('CONFLICT', 'This webhook sends to its URL; only a relay (acct webhooks listen) is polled');
  return row;
}

/** Claims up to BATCH due deliveries of the relay (row locks skipped on PostgreSQL, as the worker's claim). */
async function claim(deps: AppDeps, endpointId: string, now: Date): Promise<WebhookDeliveryRow[]> {
  await flushBeforeReading(deps.db, deps.logger);
  const at = iso(now);
  let due = deps.db.selectFrom('webhook_deliveries').select('id')
    .where('endpoint_id', '=', endpointId).where('status', '=', 'pending').where('next_attempt_at', '<=', at)
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', at)]))
    .orderBy('id').limit(BATCH);
  if (dialectOf(deps.config) === 'postgres') due = due.forUpdate().skipLocked();
  const rows = await deps.db.updateTable('webhook_deliveries').set({ lease_until: iso(addSeconds(now, LEASE_SECONDS)) }).where('id', 'in', due).returningAll().execute();
  return rows.sort((a, b) => (a.id < b.id ? -1 : 1));
}

/**
 * Waits up to `waitSeconds` for due deliveries of the relay and hands them out signed; keeps the
 * relay alive. Ends early when the listener goes away (`signal`), leaving nothing claimed.
 */
export async function pollRelay(deps: AppDeps, organizationId: string, webhookId: string, waitSeconds: number, listener: AbortSignal): Promise<RelayedDelivery[]> {
  const relay = await findRelay(deps, organizationId, webhookId);
  const signal = AbortSignal.any([listener, draining.signal]);
  const deadline = performance.now() + waitSeconds * 1000;
  const keepAlive = () => deps.db.updateTable('webhook_endpoints').set({ relay_expires_at: iso(addSeconds(deps.clock.now(), RELAY_TTL_SECONDS)) }).where('id', '=', relay.id).execute();
  await keepAlive();
  for (;;) {
    if (signal.aborted) return [];
    const rows = await claim(deps, relay.id, deps.clock.now());
    if (rows.length > 0) {
      const key = await secretsKey(deps);
      const now = deps.clock.now();
      const secrets = [decryptSecret(key, relay.secret_enc)];
      if (relay.previous_secret_enc && relay.previous_secret_expires_at && relay.previous_secret_expires_at > iso(now)) secrets.push(decryptSecret(key, relay.previous_secret_enc));
      // Wall-clock time, as the worker signs: the receiver compares it with its own clock.
      const sentAt = new Date();
      return rows.map((d) => ({
        deliveryId: d.id, messageId: d.message_id, eventType: d.event_type as WebhookEventType, body: d.payload,
        headers: { 'webhook-id': d.message_id, 'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)), 'webhook-signature': signatureHeader(secrets, d.message_id, sentAt, d.payload) },
      }));
    }
    const left = deadline - performance.now();
    if (left <= 0) break;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, Math.min(POLL_INTERVAL_MS, left));
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
  }
  await keepAlive();
  return [];
}

/**
 * Records the local receiver's answer to a relayed delivery: delivered on a 2xx, else failed (a
 * relay does not retry; `acct webhooks redeliver` sends it to the listener again).
 */
export async function reportRelayResult(
  deps: AppDeps, organizationId: string, webhookId: string, deliveryId: string, result: { statusCode: number | null; durationMs: number; error?: string | undefined },
): Promise<WebhookDeliveryRow> {
  const relay = await findRelay(deps, organizationId, webhookId);
  const now = iso(deps.clock.now());
  const ok = result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
  const error = ok ? null : (result.error ?? (result.statusCode === null ? 'no answer from the local receiver' : `answered ${result.statusCode}`)).slice(0, 300);
  const row = await deps.db.updateTable('webhook_deliveries')
    .set({
      status: ok ? 'delivered' : 'failed', attempts: sql`attempts + 1`, next_attempt_at: null, lease_until: null, last_attempt_at: now,
      last_status_code: result.statusCode, last_duration_ms: result.durationMs, last_error: error, delivered_at: ok ? now : null,
    })
    .where('id', '=', deliveryId).where('endpoint_id', '=', relay.id).where('status', '=', 'pending')
    .returningAll().executeTakeFirst();
  if (row) return row;
  const exists = await deps.db.selectFrom('webhook_deliveries').select('status').where('id', '=', deliveryId).where('endpoint_id', '=', relay.id).executeTakeFirst();
  if (!exists) throw new HttpError('NOT_FOUND', 'No such delivery for this relay');
  throw new HttpError('CONFLICT', `This delivery is already ${exists.status}`);
}

/** Deletes relays nobody polled within their TTL (a CLI killed without deleting its relay), with their deliveries. */
export async function pruneExpiredRelays(deps: Pick<AppDeps, 'db'>, now: Date): Promise<number> {
  const expired = await deps.db.selectFrom('webhook_endpoints').select(['id', 'organization_id']).where('relay_expires_at', '<', iso(now)).execute();
  for (const relay of expired) {
    await deps.db.transaction().execute(async (trx) => {
      // Only if still expired: a poll may have revived it since the select (the deliveries cascade).
      const gone = await trx.deleteFrom('webhook_endpoints').where('id', '=', relay.id).where('relay_expires_at', '<', iso(now)).executeTakeFirst();
      if (Number(gone.numDeletedRows) !== 1) return;
      await trx.deleteFrom('webhook_deliveries').where('endpoint_id', '=', relay.id).execute();
      await record(trx, { now, actor: ANONYMOUS, userId: null, action: 'webhook.deleted', organizationId: relay.organization_id, target: { type: 'webhook', id: relay.id }, detail: { relay: true, reason: 'expired' } });
    });
  }
  return expired.length;
}
