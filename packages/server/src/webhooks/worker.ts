import { sql } from 'kysely';
import type { AppDeps } from '../deps.js';
import { dialectOf } from '../db/database.js';
import type { WebhookDeliveryRow, WebhookEndpointRow } from '../db/schema.js';
import { pruneAuditLog } from '../audit/audit.js';
import { flushAuditOutbox } from '../audit/outbox.js';
import { VERSION } from '../version.js';
import { FAILING_AFTER, MAX_ATTEMPTS, retryDelaySeconds } from './backoff.js';
import { pruneExpiredRelays } from './relay.js';
import { sendDelivery, type Attempt } from './send.js';
import { decryptSecret, secretsKey, signatureHeader } from './signing.js';

/** Deliveries claimed at once; they are sent concurrently. */
const BATCH = 50;
/** How long a claim holds a delivery beyond the send timeout: another instance takes it over only after a crash. */
const LEASE_MARGIN_MS = 30_000;
const PRUNE_EVERY_MS = 3_600_000;
/** Relays a killed CLI left behind are deleted within this of their expiry. */
const RELAY_PRUNE_EVERY_MS = 10_000;
const MAX_ERROR = 300;

/**
 * Sends the outbox. Every instance runs one; a delivery is claimed by setting its lease in one
 * statement (row locks with FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite serialises writers), so
 * each is sent by exactly one instance. A crash mid-send leaves the lease to expire and the
 * delivery is sent again, with the same webhook-id (receivers deduplicate on it).
 * Also prunes the audit log past its retention, hourly.
 */
export class DeliveryWorker {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private lastPrune = 0;
  private lastRelayPrune = 0;
  private readonly postgres: boolean;

  constructor(private readonly deps: AppDeps) {
    this.postgres = dialectOf(deps.config) === 'postgres';
  }

  /**
   * The first pass comes one poll interval after start, like every later one: a server started
   * with a long interval (tests of the audit outbox) never has a pass land between its requests.
   */
  start(): void {
    this.schedule(this.deps.config.webhookPollMs);
  }

  /** Stops claiming and waits for the deliveries in flight (each ends within the send timeout). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick()
        .catch((err: unknown) => {
          this.deps.logger.warn({ err }, 'webhook delivery worker: pass failed; retrying');
          return false;
        })
        .then((busy) => this.schedule(busy ? 0 : this.deps.config.webhookPollMs));
    }, ms);
    this.timer.unref();
  }

  /** One pass; true when it found a full batch (more may be due). */
  async tick(): Promise<boolean> {
    const now = this.deps.clock.now();
    // Audited changes first: their events become deliveries this pass, and their rows reach
    // audit_entries before the retention prune looks there.
    await flushAuditOutbox(this.deps.db);
    if (now.getTime() - this.lastPrune >= PRUNE_EVERY_MS) {
      this.lastPrune = now.getTime();
      const pruned = await pruneAuditLog(this.deps.db, this.deps.config.auditRetentionDays, now);
      if (pruned > 0) this.deps.logger.info({ pruned }, 'audit log pruned (ACCT_AUDIT_RETENTION_DAYS)');
    }
    if (now.getTime() - this.lastRelayPrune >= RELAY_PRUNE_EVERY_MS) {
      this.lastRelayPrune = now.getTime();
      await pruneExpiredRelays(this.deps, now);
    }
    const claimed = await this.claim(now);
    if (claimed.length === 0) return false;
    const endpointIds = [...new Set(claimed.map((d) => d.endpoint_id))];
    const endpoints = new Map((await this.deps.db.selectFrom('webhook_endpoints').selectAll().where('id', 'in', endpointIds).execute()).map((e) => [e.id, e]));
    const key = await secretsKey(this.deps);
    await Promise.all(claimed.map((d) => this.deliver(d, endpoints.get(d.endpoint_id), key)));
    return claimed.length === BATCH;
  }

  private async claim(now: Date): Promise<WebhookDeliveryRow[]> {
    const at = now.toISOString();
    const lease = new Date(now.getTime() + this.deps.config.webhookTimeoutMs + LEASE_MARGIN_MS).toISOString();
    let due = this.deps.db
      .selectFrom('webhook_deliveries').select('id')
      .where('status', '=', 'pending').where('next_attempt_at', '<=', at)
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', at)]))
      // A relay's deliveries go to its listener's polls (relay.ts), never to a URL.
      .where('endpoint_id', 'not in', (eb) => eb.selectFrom('webhook_endpoints').select('id').where('relay_expires_at', 'is not', null))
      .orderBy('next_attempt_at').limit(BATCH);
    if (this.postgres) due = due.forUpdate().skipLocked();
    return this.deps.db.updateTable('webhook_deliveries').set({ lease_until: lease }).where('id', 'in', due).returningAll().execute();
  }

  private async deliver(delivery: WebhookDeliveryRow, endpoint: WebhookEndpointRow | undefined, key: Buffer): Promise<void> {
    const now = this.deps.clock.now();
    if (!endpoint || !endpoint.enabled) {
      await this.deps.db.updateTable('webhook_deliveries')
        .set({ status: 'failed', next_attempt_at: null, lease_until: null, last_error: 'endpoint disabled' })
        .where('id', '=', delivery.id).execute();
      return;
    }
    const secrets = [decryptSecret(key, endpoint.secret_enc)];
    if (endpoint.previous_secret_enc && endpoint.previous_secret_expires_at && endpoint.previous_secret_expires_at > now.toISOString())
      secrets.push(decryptSecret(key, endpoint.previous_secret_enc));
    // The signed timestamp is wall-clock time: receivers compare it with their own clocks.
    const sentAt = new Date();
    const headers = {
      'webhook-id': delivery.message_id,
      'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
      'webhook-signature': signatureHeader(secrets, delivery.message_id, sentAt, delivery.payload),
      'user-agent': `acct-webhooks/${VERSION}`,
    };
    const attempt = await sendDelivery(endpoint.url, headers, delivery.payload, { timeoutMs: this.deps.config.webhookTimeoutMs, allowPrivate: this.deps.config.webhooksAllowPrivate });
    await this.settle(delivery, endpoint, attempt);
  }

  private async settle(delivery: WebhookDeliveryRow, endpoint: WebhookEndpointRow, attempt: Attempt): Promise<void> {
    const now = this.deps.clock.now();
    const attempts = delivery.attempts + 1;
    const ok = attempt.error === null;
    const last = {
      attempts, lease_until: null, last_attempt_at: now.toISOString(), last_status_code: attempt.statusCode,
      last_duration_ms: attempt.durationMs, last_error: attempt.error?.slice(0, MAX_ERROR) ?? null,
    };
    const db = this.deps.db;
    if (ok) {
      await db.updateTable('webhook_deliveries').set({ ...last, status: 'delivered', next_attempt_at: null, delivered_at: now.toISOString() }).where('id', '=', delivery.id).execute();
      if (endpoint.consecutive_failures !== 0 || endpoint.failing_since !== null)
        await db.updateTable('webhook_endpoints').set({ consecutive_failures: 0, failing_since: null }).where('id', '=', endpoint.id).execute();
      return;
    }
    const retry = attempts < MAX_ATTEMPTS;
    await db.updateTable('webhook_deliveries')
      .set({ ...last, status: retry ? 'pending' : 'failed', next_attempt_at: retry ? new Date(now.getTime() + retryDelaySeconds(attempts) * 1000).toISOString() : null })
      .where('id', '=', delivery.id).execute();
    const counted = await db.updateTable('webhook_endpoints').set({ consecutive_failures: sql`consecutive_failures + 1` })
      .where('id', '=', endpoint.id).returning(['consecutive_failures']).executeTakeFirst();
    if (!counted || counted.consecutive_failures < FAILING_AFTER) return;
    // Only the instance whose write flips the flag tells the owners, once per run of failures.
    const flipped = await db.updateTable('webhook_endpoints').set({ failing_since: now.toISOString() })
      .where('id', '=', endpoint.id).where('failing_since', 'is', null).executeTakeFirst();
    if (Number(flipped.numUpdatedRows) === 1) await this.tellOwners(endpoint, counted.consecutive_failures, attempt);
  }

  private async tellOwners(endpoint: WebhookEndpointRow, failures: number, attempt: Attempt): Promise<void> {
    const owners = await this.deps.db
      .selectFrom('memberships').innerJoin('users', 'users.id', 'memberships.user_id').select('users.email')
      .where('memberships.organization_id', '=', endpoint.organization_id).where('memberships.role', '=', 'owner')
      .execute();
    this.deps.logger.warn({ webhookId: endpoint.id, organizationId: endpoint.organization_id, failures }, 'webhook endpoint marked failing');
    await Promise.all(owners.map((o) => this.deps.mailer.send({
      to: o.email,
      subject: 'A webhook endpoint of your organization is failing',
      text: `The webhook endpoint ${endpoint.id} (${endpoint.url}) failed ${failures} deliveries in a row; the last one: ${attempt.error ?? 'unknown error'}.\n\n`
        + 'acct keeps retrying each delivery with growing delays for about a day. Fix the receiver, or disable the endpoint, '
        + `and see its deliveries with: acct webhooks deliveries ${endpoint.id}\n`,
    }).catch((err: unknown) => this.deps.logger.warn({ err }, 'could not mail an owner about a failing webhook endpoint'))));
  }
}
