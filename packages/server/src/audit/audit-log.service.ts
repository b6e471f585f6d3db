import type { Pagination } from '@acct/shared';
import type { AppDeps } from '../deps.js';
import type { AuditLogRow } from '../db/schema.js';
import { decodeCursor, page } from '../http/pagination.js';

/** Reading the audit log: what the API routes and the console's audit page both call. */

export type AuditEntry = ReturnType<typeof toAuditEntry>;

export function toAuditEntry(row: AuditLogRow) {
  return {
    id: row.id,
    createdAt: row.created_at,
    action: row.action,
    outcome: row.outcome as 'success' | 'failure',
    actor: { type: row.actor_type as 'user' | 'team_key' | 'oauth_client' | 'anonymous', id: row.actor_id, credentialKind: row.credential_kind, credentialId: row.credential_id },
    target: row.target_type && row.target_id ? { type: row.target_type, id: row.target_id } : null,
    organizationId: row.organization_id,
    ip: row.ip,
    userAgent: row.user_agent,
    requestId: row.request_id,
    detail: JSON.parse(row.detail) as Record<string, unknown>,
  };
}

export interface AuditQuery {
  limit?: number | undefined;
  cursor?: string | undefined;
  /** An action, or a family (`webhook.*`). */
  action?: string | undefined;
  /** The acting user, team or client id. */
  actor?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
}

/** One page of rows, newest first, of the organization's or the user's log. */
export async function listAuditLog(
  deps: AppDeps, scope: { organizationId: string } | { userId: string; pin: string | null }, query: AuditQuery,
): Promise<{ data: AuditEntry[]; pagination: Pagination }> {
  const limit = query.limit ?? 20;
  const cursor = decodeCursor(query.cursor);
  let q = deps.db.selectFrom('audit_log').selectAll();
  if ('organizationId' in scope) q = q.where('organization_id', '=', scope.organizationId);
  else {
    q = q.where('user_id', '=', scope.userId);
    // A key pinned to an organization sees the account's rows of that organization and none of others'.
    if (scope.pin) q = q.where((eb) => eb.or([eb('organization_id', '=', scope.pin), eb('organization_id', 'is', null)]));
  }
  if (query.action) q = query.action.endsWith('.*') ? q.where('action', 'like', `${query.action.slice(0, -1)}%`) : q.where('action', '=', query.action);
  if (query.actor) q = q.where('actor_id', '=', query.actor);
  if (query.since) q = q.where('created_at', '>=', new Date(query.since).toISOString());
  if (query.until) q = q.where('created_at', '<', new Date(query.until).toISOString());
  if (cursor) q = q.where('id', '<', cursor);
  const rows = await q.orderBy('id', 'desc').limit(limit + 1).execute();
  const { items, pagination } = page(rows, limit);
  return { data: items.map(toAuditEntry), pagination };
}
