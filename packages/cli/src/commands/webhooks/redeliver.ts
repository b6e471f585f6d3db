import type { DataOf, webhooks } from '@acct/shared';
import type { Context } from '../../context.js';
import { inOrg, orgPath } from '../../lib/org.js';
import { printJson } from '../../lib/output.js';

/** `acct webhooks redeliver ID DELIVERY_ID`: same message, fresh attempts. */
export async function run(ctx: Context, opts: { id: string; deliveryId: string; org?: string }): Promise<number> {
  return inOrg(ctx, opts.org, async (org) => {
    const path = orgPath(org, `/webhooks/${encodeURIComponent(opts.id)}/deliveries/${encodeURIComponent(opts.deliveryId)}/redeliver`);
    const { data } = await ctx.http.api<DataOf<typeof webhooks.redeliverWebhook>>({ method: 'POST', path });
    if (ctx.json) printJson(ctx.io, data);
    else ctx.io.err(`✓ Queued redelivery ${data.id} of ${data.messageId}\n`);
    return 0;
  });
}
