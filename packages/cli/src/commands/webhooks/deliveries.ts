import type { DataOf, webhooks } from '@acct/shared';
import type { Context } from '../../context.js';
import { UsageError } from '../../lib/errors.js';
import { inOrg, orgPath } from '../../lib/org.js';
import { formatDate, printJson, printTable } from '../../lib/output.js';
import { collectList, listCap, noteMore, type ListFlags } from '../../lib/paginate.js';

type Delivery = DataOf<typeof webhooks.listWebhookDeliveries>[number];
const STATUSES = ['pending', 'delivered', 'failed'];

/** `acct webhooks deliveries ID`: attempts, status codes and timings, newest first. */
export async function run(ctx: Context, opts: ListFlags & { id: string; org?: string; status?: string }): Promise<number> {
  if (opts.status !== undefined && !STATUSES.includes(opts.status)) throw new UsageError(`--status must be one of ${STATUSES.join(', ')}, not ${opts.status}`);
  const cap = listCap(opts);
  return inOrg(ctx, opts.org, async (org) => {
    const { items, more } = await collectList<Delivery>(ctx.http, { method: 'GET', path: orgPath(org, `/webhooks/${encodeURIComponent(opts.id)}/deliveries`), query: { status: opts.status } }, cap);
    if (ctx.json) printJson(ctx.io, items);
    else if (items.length === 0) ctx.io.err('No deliveries yet\n');
    else {
      printTable(
        ctx.io,
        ['ID', 'EVENT', 'STATUS', 'ATTEMPTS', 'CODE', 'MS', 'LAST ERROR', 'CREATED'],
        items.map((d) => [d.id, d.eventType, d.status, String(d.attempts), d.lastStatusCode === null ? '-' : String(d.lastStatusCode), d.lastDurationMs === null ? '-' : String(d.lastDurationMs), d.lastError ?? '-', formatDate(d.createdAt)]),
      );
      noteMore(ctx.io, items.length, more);
    }
    return 0;
  });
}
