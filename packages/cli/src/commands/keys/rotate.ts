import type { BodyOf, DataOf, keys } from '@acct/shared';
import type { Context } from '../../context.js';
import { parseDuration } from '../../lib/duration.js';
import { printJson } from '../../lib/output.js';
import { chooseStore, saveToken } from '../../lib/token-store.js';
import { printNewKey } from './show.js';

export interface RotateOptions {
  id: string;
  save: boolean;
  insecureStorage: boolean;
  /** How long the old secret keeps working, e.g. 1h (default: it stops now). */
  grace?: string;
}

/**
 * `acct keys rotate ID`: a new secret for the same key, shown once. A copy saved for this host
 * is replaced in place (or with --save, the new one is saved).
 */
export async function run(ctx: Context, opts: RotateOptions): Promise<number> {
  const body: BodyOf<typeof keys.rotateApiKey> = { id: opts.id };
  if (opts.grace) body.gracePeriod = parseDuration(opts.grace);
  const wasSaved = ctx.config.data.hosts[ctx.origin]?.tokens?.find((t) => t.id === opts.id);
  const store = opts.save || wasSaved ? await chooseStore(ctx, opts.insecureStorage || wasSaved?.storage === 'file') : null;
  const { data } = await ctx.http.api<DataOf<typeof keys.rotateApiKey>>({ method: 'POST', path: '/api/auth/api-key/rotate', json: body, credential: 'session' });
  if (wasSaved) {
    // The old secret is gone: drop its entry before saving the new one.
    const { forgetTokens } = await import('../../lib/token-store.js');
    await forgetTokens(ctx, (t) => t.id === data.id);
  }
  const saved = store
    ? await saveToken(ctx, store, data.key, { id: data.id, name: data.name, scopes: data.scopes, expiresAt: data.expiresAt, organizationId: data.organizationId })
    : null;
  if (ctx.json) printJson(ctx.io, { ...data, ...(saved ? { savedTo: saved.storage } : {}) });
  else printNewKey(ctx, data, saved ? `Saved to ${store!.description} for ${ctx.origin}, replacing the old secret.` : null, 'Rotated');
  return 0;
}
