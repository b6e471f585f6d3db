import type { Request } from 'express';
import type { Kysely } from 'kysely';
import { isWebhookEventType } from '@acct/shared';
import type { Principal } from '../auth/principal.js';
import type { Database } from '../db/schema.js';
import { iso, type Clock } from '../time/clock.js';
import { requestIp } from '../http/client-ip.js';
import { ulid, ulidTimePrefix } from '../db/ids.js';
import { eventBodyWithActor } from '../webhooks/events.js';
import { AUDIT_COLUMNS, markAuditPending } from './outbox.js';
import { insertWithCommit } from '../db/database.js';
import { currentRequest } from './request-context.js';

/** Who acted, as a row keeps it. */
export interface AuditActor {
  type: 'user' | 'team_key' | 'oauth_client' | 'anonymous';
  /** The user, team or OAuth client id. */
  id: string | null;
  credentialKind: string | null;
  credentialId: string | null;
}

export interface AuditInput {
  /** The request the change came in on (default: the one being served): IP, user agent, request id, and the actor bind() resolved. */
  req?: Request;
  /** `project.deleted`, `user.signed_in`, …; actions named like a webhook event type also queue that event. */
  action: string;
  outcome?: 'success' | 'failure';
  organizationId?: string | null;
  /** Whose own log shows the row; defaults to the acting user. */
  userId?: string | null;
  /** Overrides the actor read from the request (sign-in, where nobody is authenticated yet). */
  actor?: AuditActor;
  target?: { type: string; id: string } | null;
  /** Facts about the change; never a secret (tests search every row for every secret issued). */
  detail?: Record<string, unknown>;
  /** The webhook event's `data`, when it differs from `{ id: target.id, ...detail }`. */
  event?: Record<string, unknown>;
  /** Defaults to the app's clock (the test clock in tests). */
  now?: Date;
}

export const ANONYMOUS: AuditActor = { type: 'anonymous', id: null, credentialKind: null, credentialId: null };

/** A person acting through a credential that is not yet on the request (a sign-in's new session). */
export function userActor(userId: string, credentialKind: string, credentialId: string): AuditActor {
  return { type: 'user', id: userId, credentialKind, credentialId };
}

/** The actor of a request: the Principal bind() resolved (`res.locals.principal`), or what a sign-in set (`res.locals.actor`). */
function actorOf(req: Request | undefined): AuditActor {
  const principal = req?.res?.locals['principal'] as Principal | undefined;
  if (principal) {
    const type = principal.subject.kind === 'user' ? 'user' : principal.subject.kind === 'team' ? 'team_key' : 'oauth_client';
    return { type, id: principal.subject.id, credentialKind: principal.credential.kind, credentialId: principal.credential.id };
  }
  const actor = req?.res?.locals['actor'] as { kind?: string; id?: string; userId?: string } | undefined;
  if (actor?.kind && actor.userId) return { type: 'user', id: actor.userId, credentialKind: actor.kind, credentialId: actor.id ?? null };
  return ANONYMOUS;
}

/** The clock createApp() left on the app, so rows and events follow the test clock where there is one. */
function clockOf(req: Request | undefined): Clock | undefined {
  return req?.app?.locals['clock'] as Clock | undefined;
}

const MAX_USER_AGENT = 512;

/**
 * One row in the outbox (audit/outbox.ts), in every audited write: on PostgreSQL it rides with the
 * COMMIT, on SQLite it runs on the transaction's own connection (insertWithCommit).
 */
const INSERT = insertWithCommit('audit_outbox', [...AUDIT_COLUMNS, 'event']);

let recording = true;
/** The benchmark's baseline (config.benchNoAudit): writes neither audit rows nor events. */
export function stopRecordingForBenchmark(): void {
  recording = false;
}

/**
 * Appends one audit row, inside the caller's transaction so it commits with the change or not at
 * all. When the action is a webhook event type of an organization, the row carries the event's
 * body: the flush (audit/outbox.ts) turns it into one delivery per subscribed endpoint. One row
 * in one unindexed table, whatever the event: the audit log (`audit_log` view) shows it at once.
 */
export async function record(db: Kysely<Database>, input: AuditInput): Promise<void> {
  if (!recording) return;
  const req = input.req ?? currentRequest();
  const now = input.now ?? clockOf(req)?.now() ?? new Date();
  const actor = input.actor ?? actorOf(req);
  const userId = input.userId !== undefined ? input.userId : actor.type === 'user' ? actor.id : null;
  const detail = input.detail ?? {};
  const at = iso(now);
  let event: string | null = null;
  if (input.organizationId && (input.outcome ?? 'success') === 'success' && isWebhookEventType(input.action)) {
    const data = input.event ?? { ...(input.target ? { id: input.target.id } : {}), ...detail };
    event = eventBodyWithActor(input.action, at, data, actor);
  }
  const userAgent = req?.headers['user-agent'];
  const row = [
    ulid(now.getTime()), at, input.organizationId ?? null, userId, actor.type, actor.id, actor.credentialKind, actor.credentialId,
    input.action, input.outcome ?? 'success', input.target?.type ?? null, input.target?.id ?? null,
    req ? requestIp(req) : null, userAgent === undefined ? null : userAgent.slice(0, MAX_USER_AGENT), (req?.res?.locals['requestId'] as string | undefined) ?? null,
    JSON.stringify(detail), event,
  ];
  markAuditPending();
  await INSERT(db, row);
}

/** Deletes rows older than `days` (retention); returns how many went. */
export async function pruneAuditLog(db: Kysely<Database>, days: number, now: Date): Promise<number> {
  if (days <= 0) return 0;
  // Ids are ULIDs: their first ten characters are the time, so the primary key orders rows by age.
  const cutoff = ulidTimePrefix(now.getTime() - days * 86_400_000);
  const result = await db.deleteFrom('audit_entries').where('id', '<', cutoff).executeTakeFirst();
  return Number(result.numDeletedRows);
}
