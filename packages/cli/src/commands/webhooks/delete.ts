import type { DataOf, webhooks } from '@acct/shared';
import type { Context } from '../../context.js';
import { inOrg, orgPath } from '../../lib/org.js';
import { printJson } from '../../lib/output.js';

/** `acct webhooks delete ID`. */
export async function run(ctx: Context, opts: { id: string; org?: string }): Promise<number> {
  return inOrg(ctx, opts.org, async (org) => {
    const { data } = await ctx.http.api<DataOf<typeof webhooks.deleteWebhook>>({ method: 'DELETE', path: orgPath(org, `/webhooks/${encodeURIComponent(opts.id)}`) });
    if (ctx.json) printJson(ctx.io, data);
    else ctx.io.err(`✓ Deleted webhook ${data.id}\n`);
    return 0;
  });
}
