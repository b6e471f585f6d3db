import { Router } from 'express';
import { requestIp } from '../http/client-ip.js';
import { ROUTES, SCOPES, type Scope } from '@acct/shared';
import type { AppDeps } from '../deps.js';
import { bind, pinOf, principalOf, userOf } from '../http/bind.js';
import { HttpError } from '../http/http-error.js';
import { decodeCursor } from '../http/pagination.js';
import { createKey, keyWithEvents, listKeys, reportLeak, revokeKey, rotateKey, toApiKey, updateKey } from './keys.service.js';
import { sessionFreshAt } from '../auth/account.service.js';

/** Personal access tokens (`/api/auth/api-key/*`) and the scope catalogue. */
export function keyRoutes(deps: AppDeps, r: Router = Router()): Router {

  bind(r, deps, ROUTES.createApiKey, async (ctx) => {
    const principal = principalOf(ctx);
    const user = userOf(ctx);
    // A session that signed in long ago must sign in again before minting a key (ASVS 7.5.1).
    if (principal.interactive) {
      // Fresh from its sign-in, or from a later re-authentication (POST /api/auth/reauthenticate).
      const age = deps.clock.now().getTime() - (await sessionFreshAt(deps, principal.credential.id)).getTime();
      if (age > deps.config.freshSessionSeconds * 1000) throw new HttpError('FORBIDDEN', 'Sign in again to create an API key: this session is too old');
    }
    const { body } = ctx;
    const scopes = body.scopes as Scope[];
    // An OAuth client mints only within its own grant: the key's scopes a subset of the token's,
    // and pinned to the token's organization when the token is pinned (no escalation).
    let organizationId = body.metadata?.organizationId;
    if (!principal.interactive) {
      const held = principal.scopes;
      const missing = held === 'all' ? [] : scopes.filter((s) => !held.has(s));
      if (missing.length > 0) {
        throw new HttpError('INSUFFICIENT_SCOPE', `The token cannot give a key scopes it does not hold: ${missing.join(', ')}`,
          [{ field: 'scopes', message: `not held by this token: ${missing.join(', ')}` }], { 'X-Accepted-Scopes': missing.join(', ') });
      }
      const pin = pinOf(principal);
      if (pin !== null) {
        if (organizationId !== undefined && organizationId !== pin) throw new HttpError('ORGANIZATION_MISMATCH', 'The token is pinned to another organization: a key it creates is pinned to the same one');
        organizationId = pin;
      }
    }
    const { row, key } = await createKey(deps, user.id, {
      name: body.name.trim() || body.name,
      scopes,
      expiresIn: body.expiresIn ?? null,
      organizationId,
      ip: requestIp(ctx.req),
    });
    const view = toApiKey(row, deps.clock.now());
    return {
      data: { id: view.id, name: view.name, key, start: view.start, scopes: view.scopes, organizationId: view.organizationId, expiresAt: view.expiresAt, createdAt: view.createdAt },
    };
  });

  bind(r, deps, ROUTES.listApiKeys, async (ctx) => {
    const principal = principalOf(ctx);
    const pin = pinOf(principal);
    const limit = ctx.query.limit ?? 20;
    // A pinned key lists only the keys pinned to its own organization.
    return listKeys(deps, principal.subject.id, { pin, cursor: decodeCursor(ctx.query.cursor), limit, status: ctx.query.status });
  });

  bind(r, deps, ROUTES.getApiKey, async (ctx) => {
    const principal = principalOf(ctx);
    return { data: await keyWithEvents(deps, principal.subject.id, ctx.query.id, pinOf(principal)) };
  });

  bind(r, deps, ROUTES.updateApiKey, async (ctx) => {
    const principal = principalOf(ctx);
    const row = await updateKey(deps, principal.subject.id, { ...ctx.body, scopes: ctx.body.scopes as Scope[] | undefined, ip: requestIp(ctx.req), pin: pinOf(principal) });
    return { data: toApiKey(row, deps.clock.now()) };
  });

  bind(r, deps, ROUTES.deleteApiKey, async (ctx) => {
    const principal = principalOf(ctx);
    const row = await revokeKey(deps, principal.subject.id, ctx.body.id, requestIp(ctx.req), pinOf(principal));
    return { data: toApiKey(row, deps.clock.now()) };
  });

  bind(r, deps, ROUTES.rotateApiKey, async (ctx) => {
    const principal = principalOf(ctx);
    const { row, key } = await rotateKey(deps, principal.subject.id, { id: ctx.body.id, gracePeriod: ctx.body.gracePeriod ?? 0, ip: requestIp(ctx.req), pin: pinOf(principal), arrivedAt: ctx.arrivedAt });
    return { data: { ...toApiKey(row, deps.clock.now()), key } };
  });

  bind(r, deps, ROUTES.reportLeakedKey, async (ctx) => {
    const outcome = await reportLeak(deps, ctx.body.key, requestIp(ctx.req));
    return { data: { ok: true as const, outcome } };
  });

  bind(r, deps, ROUTES.listScopes, async () => ({
    data: Object.entries(SCOPES).map(([name, description]) => ({ name: name as Scope, description })),
  }));

  return r;
}
