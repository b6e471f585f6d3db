import { ROUTES } from '@acct/shared/routes';
import type { Context } from '../../context.js';
import { UsageError } from '../../lib/errors.js';
import { inOrg, orgLabel, orgParams } from '../../lib/org.js';
import { formatDate, printJson, printTable } from '../../lib/output.js';
import { listCap, noteMore, type ListFlags } from '../../lib/paginate.js';

export const PROJECT_SORTS = ['createdAt', '-createdAt', 'name', '-name'] as const;

export interface ListOptions extends ListFlags {
  org?: string;
  sort?: string;
  name?: string;
}

/** `acct projects list`: the organization's projects, sorted and filtered by the server. */
export async function run(ctx: Context, opts: ListOptions): Promise<number> {
  if (opts.sort !== undefined && !(PROJECT_SORTS as readonly string[]).includes(opts.sort))
    throw new UsageError(`--sort must be one of ${PROJECT_SORTS.join(', ')}, not ${opts.sort}`);
  if (opts.name !== undefined && opts.name.trim() === '') throw new UsageError('--name needs some text to look for');
  const cap = listCap(opts);
  return inOrg(ctx, opts.org, async (org) => {
    const query = { ...(opts.sort !== undefined ? { sort: opts.sort as (typeof PROJECT_SORTS)[number] } : {}), ...(opts.name !== undefined ? { name: opts.name } : {}) };
    const { items, more } = await ctx.api.list(ROUTES.listProjects, { params: orgParams(org), query }, cap);
    if (ctx.json) printJson(ctx.io, items);
    else if (items.length === 0)
      ctx.io.err(opts.name ? `No projects in ${orgLabel(org)} whose name contains "${opts.name}"\n` : `No projects in ${orgLabel(org)} yet. Create one with \`acct projects create --name …\`\n`);
    else {
      printTable(ctx.io, ['ID', 'NAME', 'DESCRIPTION', 'CREATED'], items.map((p) => [p.id, p.name, p.description, formatDate(p.createdAt)]));
      noteMore(ctx.io, items.length, more);
    }
    return 0;
  });
}
