import { ROUTES } from '@acct/shared/routes';
import type { Context } from '../../context.js';
import { inOrg, orgParams } from '../../lib/org.js';
import { printJson } from '../../lib/output.js';

/** `acct webhooks redeliver ID DELIVERY_ID`: same message, fresh attempts. */
export async function run(ctx: Context, opts: { id: string; deliveryId: string; org?: string }): Promise<number> {
  return inOrg(ctx, opts.org, async (org) => {
    const { data } = await ctx.api.call(ROUTES.redeliverWebhook, { params: { ...orgParams(org), webhookId: opts.id, deliveryId: opts.deliveryId } });
    if (ctx.json) printJson(ctx.io, data);
    else ctx.io.err(`✓ Queued redelivery ${data.id} of ${data.messageId}\n`);
    return 0;
  });
}
