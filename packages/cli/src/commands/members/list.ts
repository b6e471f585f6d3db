import { ROUTES } from '@acct/shared/routes';
import type { DataOf, members } from '@acct/shared';
import type { Context } from '../../context.js';
import { inOrg, orgParams } from '../../lib/org.js';
import { formatDate, printJson, printTable } from '../../lib/output.js';
import { listCap, noteMore, type ListFlags } from '../../lib/paginate.js';

export type Member = DataOf<typeof members.listMembers>[number];

export interface ListOptions extends ListFlags {
  org?: string;
}

/** `acct members list`: the organization's members and their roles. */
export async function run(ctx: Context, opts: ListOptions): Promise<number> {
  const cap = listCap(opts);
  return inOrg(ctx, opts.org, async (org) => {
    const { items, more } = await ctx.api.list(ROUTES.listMembers, { params: orgParams(org) }, cap);
    if (ctx.json) printJson(ctx.io, items);
    else {
      printTable(ctx.io, ['USER ID', 'EMAIL', 'NAME', 'ROLE', 'JOINED'], items.map((m) => [m.userId, m.email, m.fullName, m.role, formatDate(m.joinedAt)]));
      noteMore(ctx.io, items.length, more);
    }
    return 0;
  });
}
