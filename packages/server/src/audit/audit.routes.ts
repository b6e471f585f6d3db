import type { Router } from 'express';
import { ROUTES, type QueryOf } from '@acct/shared';
import type { AppDeps } from '../deps.js';
import type { AuditLogRow } from '../db/schema.js';
import { bind, membershipOf, pinOf, principalOf, userOf } from '../http/bind.js';
import { decodeCursor, page } from '../http/pagination.js';

function toEntry(row: AuditLogRow) {
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

type AuditQuery = QueryOf<typeof ROUTES.listOrganizationAuditLog>;

/** One page of rows, newest first, of the organization's or the user's log. */
async function listAudit(deps: AppDeps, scope: { organizationId: string } | { userId: string; pin: string | null }, query: AuditQuery) {
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
  return { data: items.map(toEntry), pagination };
}

/** `GET …/organizations/:organizationId/audit-log` and `GET /api/user/audit-log`. */
export function auditRoutes(deps: AppDeps, r: Router): void {
  bind(r, deps, ROUTES.listOrganizationAuditLog, async (ctx) => listAudit(deps, { organizationId: membershipOf(ctx).organizationId }, ctx.query));

  bind(r, deps, ROUTES.listUserAuditLog, async (ctx) => {
    return listAudit(deps, { userId: userOf(ctx).id, pin: pinOf(principalOf(ctx)) }, ctx.query);
  });
}
