import { ROUTES } from '@acct/shared/routes';
import type { Context } from '../../context.js';
import { inOrg, orgParams } from '../../lib/org.js';
import { formatDate, printJson, printTable } from '../../lib/output.js';
import { listCap, noteMore, type ListFlags } from '../../lib/paginate.js';

export interface ListOptions extends ListFlags {
  org?: string;
}

/** `acct teams list`: the organization's teams (their keys and members go through `acct call`). */
export async function run(ctx: Context, opts: ListOptions): Promise<number> {
  const cap = listCap(opts);
  return inOrg(ctx, opts.org, async (org) => {
    const { items, more } = await ctx.api.list(ROUTES.listTeams, { params: orgParams(org) }, cap);
    if (ctx.json) printJson(ctx.io, items);
    else {
      printTable(ctx.io, ['ID', 'NAME', 'SLUG', 'CREATED'], items.map((t) => [t.id, t.name, t.slug ?? '', formatDate(t.createdAt)]));
      noteMore(ctx.io, items.length, more);
    }
    return 0;
  });
}
