import { Router } from 'express';
import { ROUTES, SCOPES, type Scope } from '@acct/shared';
import type { AppDeps } from '../deps.js';
import { bind, principalOf } from '../http/bind.js';
import { HttpError } from '../http/http-error.js';
import { decodeCursor, page } from '../http/pagination.js';
import { createKey, toApiKey } from './keys.service.js';

/** Personal access tokens (`/api/auth/api-key/*`) and the scope catalogue. */
export function keyRoutes(deps: AppDeps): Router {
  const r = Router();

  bind(r, deps, ROUTES.createApiKey, async (ctx) => {
    const { user, credential } = principalOf(ctx);
    // A session that signed in long ago must sign in again before minting a key (ASVS 7.5.1).
    if (credential.kind === 'session') {
      const age = deps.clock.now().getTime() - new Date(credential.createdAt).getTime();
      if (age > deps.config.freshSessionSeconds * 1000) throw new HttpError('FORBIDDEN', 'Sign in again to create an API key: this session is too old');
    }
    const { body } = ctx;
    const { row, key } = await createKey(deps, user.id, {
      name: body.name.trim() || body.name,
      scopes: body.scopes as Scope[],
      expiresIn: body.expiresIn ?? null,
      organizationId: body.metadata?.organizationId,
    });
    const view = toApiKey(row, deps.clock.now());
    return {
      data: { id: view.id, name: view.name, key, start: view.start, scopes: view.scopes, organizationId: view.organizationId, expiresAt: view.expiresAt, createdAt: view.createdAt },
    };
  });

  bind(r, deps, ROUTES.listApiKeys, async (ctx) => {
    const { user } = principalOf(ctx);
    const limit = ctx.query.limit ?? 20;
    const cursor = decodeCursor(ctx.query.cursor);
    let q = deps.db.selectFrom('api_keys').selectAll().where('user_id', '=', user.id).orderBy('id', 'desc').limit(limit + 1);
    if (cursor) q = q.where('id', '<', cursor);
    const { items, pagination } = page(await q.execute(), limit);
    const now = deps.clock.now();
    return { data: items.map((row) => toApiKey(row, now)), pagination };
  });

  bind(r, deps, ROUTES.listScopes, async () => ({
    data: Object.entries(SCOPES).map(([name, description]) => ({ name: name as Scope, description })),
  }));

  return r;
}
