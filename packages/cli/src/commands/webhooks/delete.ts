import { ROUTES } from '@acct/shared/routes';
import type { Context } from '../../context.js';
import { inOrg, orgParams } from '../../lib/org.js';
import { printJson } from '../../lib/output.js';

/** `acct webhooks delete ID`. */
export async function run(ctx: Context, opts: { id: string; org?: string }): Promise<number> {
  return inOrg(ctx, opts.org, async (org) => {
    const { data } = await ctx.api.call(ROUTES.deleteWebhook, { params: { ...orgParams(org), webhookId: opts.id } });
    if (ctx.json) printJson(ctx.io, data);
    else ctx.io.err(`✓ Deleted webhook ${data.id}\n`);
    return 0;
  });
}
