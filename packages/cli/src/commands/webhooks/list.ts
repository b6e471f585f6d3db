import { ROUTES } from '@acct/shared/routes';
import type { Context } from '../../context.js';
import { inOrg, orgLabel, orgParams } from '../../lib/org.js';
import { formatDate, printJson, printTable } from '../../lib/output.js';
import { listCap, noteMore, type ListFlags } from '../../lib/paginate.js';

/** `acct webhooks list`: the organization's endpoints. */
export async function run(ctx: Context, opts: ListFlags & { org?: string }): Promise<number> {
  const cap = listCap(opts);
  return inOrg(ctx, opts.org, async (org) => {
    const { items, more } = await ctx.api.list(ROUTES.listWebhooks, { params: orgParams(org) }, cap);
    if (ctx.json) printJson(ctx.io, items);
    else if (items.length === 0) ctx.io.err(`No webhooks in ${orgLabel(org)} yet. Add one with \`acct webhooks create --url … --event …\`\n`);
    else {
      printTable(ctx.io, ['ID', 'URL', 'EVENTS', 'STATUS', 'CREATED'], items.map((w) => [w.id, w.url, w.events.join(','), w.status, formatDate(w.createdAt)]));
      noteMore(ctx.io, items.length, more);
    }
    return 0;
  });
}
