import type { DataOf, projects } from '@acct/shared';
import type { Context } from '../../context.js';
import { formatDate, printJson, printTable } from '../../lib/output.js';
import { collectPages } from '../../lib/paginate.js';
import { resolveOrg } from './org.js';

type Project = DataOf<typeof projects.listProjects>[number];

export interface ListOptions {
  org?: string;
}

/** `acct projects list`: an organization's projects, every page. */
export async function run(ctx: Context, opts: ListOptions): Promise<number> {
  const org = await resolveOrg(ctx, opts.org);
  const items = await collectPages<Project>(ctx.http, { method: 'GET', path: `/api/user/organizations/${encodeURIComponent(org)}/projects`, query: { limit: 100 } });
  if (ctx.json) printJson(ctx.io, items);
  else if (items.length === 0) ctx.io.err(`No projects in ${org} yet. Create one with \`acct projects create --name …\`\n`);
  else printTable(ctx.io, ['ID', 'NAME', 'DESCRIPTION', 'CREATED'], items.map((p) => [p.id, p.name, p.description, formatDate(p.createdAt)]));
  return 0;
}
