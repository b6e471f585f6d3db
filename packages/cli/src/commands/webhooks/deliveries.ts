import { ROUTES } from '@acct/shared/routes';
import type { Context } from '../../context.js';
import { UsageError } from '../../lib/errors.js';
import { inOrg, orgParams } from '../../lib/org.js';
import { formatDate, printJson, printTable } from '../../lib/output.js';
import { listCap, noteMore, type ListFlags } from '../../lib/paginate.js';

const STATUSES = ['pending', 'delivered', 'failed'] as const;

/** `acct webhooks deliveries ID`: attempts, status codes and timings, newest first. */
export async function run(ctx: Context, opts: ListFlags & { id: string; org?: string; status?: string }): Promise<number> {
  if (opts.status !== undefined && !(STATUSES as readonly string[]).includes(opts.status)) throw new UsageError(`--status must be one of ${STATUSES.join(', ')}, not ${opts.status}`);
  const cap = listCap(opts);
  return inOrg(ctx, opts.org, async (org) => {
    const { items, more } = await ctx.api.list(ROUTES.listWebhookDeliveries, { params: { ...orgParams(org), webhookId: opts.id }, query: opts.status !== undefined ? { status: opts.status as (typeof STATUSES)[number] } : {} }, cap);
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
