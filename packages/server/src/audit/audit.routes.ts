import type { Router } from 'express';
import { ROUTES } from '@acct/shared';
import type { AppDeps } from '../deps.js';
import { bind, membershipOf, pinOf, principalOf, userOf } from '../http/bind.js';
import { listAuditLog } from './audit-log.service.js';

/** `GET …/organizations/:organizationId/audit-log` and `GET /api/user/audit-log`. */
export function auditRoutes(deps: AppDeps, r: Router): void {
  bind(r, deps, ROUTES.listOrganizationAuditLog, async (ctx) => listAuditLog(deps, { organizationId: membershipOf(ctx).organizationId }, ctx.query));

  bind(r, deps, ROUTES.listUserAuditLog, async (ctx) => {
    return listAuditLog(deps, { userId: userOf(ctx).id, pin: pinOf(principalOf(ctx)) }, ctx.query);
  });
}
