import type { DataOf, projects } from '@acct/shared';
import type { Context } from '../../context.js';
import { UsageError } from '../../lib/errors.js';
import { inOrg, orgLabel, orgPath } from '../../lib/org.js';
import { formatDate, printJson, printTable } from '../../lib/output.js';
import { collectList, listCap, noteMore, type ListFlags } from '../../lib/paginate.js';

type Project = DataOf<typeof projects.listProjects>[number];

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
    const { items, more } = await collectList<Project>(ctx.http, { method: 'GET', path: orgPath(org, '/projects'), query: { sort: opts.sort, name: opts.name } }, cap);
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
