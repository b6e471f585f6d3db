import { ROUTES } from '@acct/shared/routes';
import type { BodyOf, keys } from '@acct/shared';
import type { Context } from '../../context.js';
import { parseDuration } from '../../lib/duration.js';
import { printJson } from '../../lib/output.js';
import { EXIT } from '../../lib/errors.js';
import { chooseStore } from '../../lib/token-store.js';
import { printNewKey, saveNewKey } from './show.js';

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
  const { data } = await ctx.api.call(ROUTES.rotateApiKey, { body, credential: 'session' });
  if (wasSaved) {
    // The old secret is gone: drop its entry before saving the new one.
    const { forgetTokens } = await import('../../lib/token-store.js');
    await forgetTokens(ctx, (t) => t.id === data.id);
  }
  // The new secret is shown only once: if it cannot be saved, it is printed, not lost (as keys create).
  const saved = store ? await saveNewKey(ctx, store, data, 'rotated', data) : null;
  if (store && !saved) return EXIT.FAILURE;
  if (ctx.json) printJson(ctx.io, { ...data, ...(saved ? { savedTo: saved.storage } : {}) });
  else printNewKey(ctx, data, saved ? `Saved to ${store!.description} for ${ctx.origin}, replacing the old secret.` : null, 'Rotated');
  return 0;
}
