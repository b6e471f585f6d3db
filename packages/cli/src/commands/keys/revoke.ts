import { ROUTES } from '@acct/shared/routes';
import type { Context } from '../../context.js';
import { printJson } from '../../lib/output.js';
import { forgetTokens } from '../../lib/token-store.js';

export interface RevokeOptions {
  id: string;
}

/** `acct keys revoke ID`: the key stops working on the next request; a local copy is deleted too. */
export async function run(ctx: Context, opts: RevokeOptions): Promise<number> {
  const { data } = await ctx.api.call(ROUTES.deleteApiKey, { body: { id: opts.id }, credential: 'session' });
  const forgotten = await forgetTokens(ctx, (t) => t.id === data.id);
  if (ctx.json) printJson(ctx.io, data);
  else {
    ctx.io.err(`✓ Revoked key ${data.id} "${data.name}"\n`);
    for (const t of forgotten) ctx.io.err(`✓ Deleted its saved copy ${t.masked}\n`);
  }
  return 0;
}
