import type { DataOf, organizations } from '@acct/shared';
import type { Context } from '../../context.js';
import { formatDate, printJson, printTable } from '../../lib/output.js';

type Organization = DataOf<typeof organizations.listOrganizations>[number];

/** `acct orgs list`: your organizations and your role in each. */
export async function run(ctx: Context): Promise<number> {
  const { data } = await ctx.http.api<Organization[]>({ method: 'GET', path: '/api/user/organizations' });
  if (ctx.json) printJson(ctx.io, data);
  else printTable(ctx.io, ['ID', 'NAME', 'SLUG', 'ROLE', 'CREATED'], data.map((o) => [o.id, o.name, o.slug, o.role, formatDate(o.createdAt)]));
  return 0;
}
