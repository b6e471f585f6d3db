import type { Context } from '../../context.js';
import { formatDate, printJson, printTable } from '../../lib/output.js';
import { currentOrganization, findOrganization, listOrganizations, type Organization } from '../../lib/org.js';
import { capItems, listCap, noteMore, type ListFlags } from '../../lib/paginate.js';

/** The organization commands use without --org: ACCT_ORG, else the switched-to one, else the only one. */
function inEffect(ctx: Context, orgs: Organization[]): Organization | undefined {
  const env = ctx.env['ACCT_ORG'];
  if (env) return findOrganization(orgs, env);
  const current = currentOrganization(ctx);
  if (current) return orgs.find((o) => o.id === current.id);
  return orgs.length === 1 ? orgs[0] : undefined;
}

/** `acct orgs list`: your organizations and your role in each; `*` marks the current one. */
export async function run(ctx: Context, opts: ListFlags = {}): Promise<number> {
  const cap = listCap(opts);
  const all = await listOrganizations(ctx);
  const current = inEffect(ctx, all);
  const { items: orgs, more } = capItems(all, cap);
  if (ctx.json) {
    printJson(ctx.io, orgs.map((o) => ({ ...o, current: o.id === current?.id })));
    return 0;
  }
  if (orgs.length === 0) {
    ctx.io.err('You belong to no organization. Create one with `acct orgs create NAME`\n');
    return 0;
  }
  const rows = orgs.map((o) => [o.id, o.name, o.slug, o.role, formatDate(o.createdAt)]);
  // Scripts get the same columns as before; people get gh's `*` marker in front.
  if (ctx.io.stdoutIsTTY) printTable(ctx.io, ['', 'ID', 'NAME', 'SLUG', 'ROLE', 'CREATED'], rows.map((r, i) => [orgs[i]!.id === current?.id ? '*' : '', ...r]));
  else printTable(ctx.io, [], rows);
  noteMore(ctx.io, orgs.length, more);
  const saved = currentOrganization(ctx);
  if (saved && !all.some((o) => o.id === saved.id))
    ctx.io.err(`warning: the current organization ${saved.name} (${saved.slug}) is not among yours any more; choose another with \`acct orgs switch\`\n`);
  return 0;
}
