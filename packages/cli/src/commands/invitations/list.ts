import { ROUTES } from '@acct/shared/routes';
import type { Context } from '../../context.js';
import { formatDate, printJson, printTable } from '../../lib/output.js';
import { capItems, listCap, noteMore, type ListFlags } from '../../lib/paginate.js';

/** `acct invitations list`: pending invitations to your (verified) email address. */
export async function run(ctx: Context, opts: ListFlags = {}): Promise<number> {
  const cap = listCap(opts);
  const all = await ctx.api.call(ROUTES.listMyInvitations);
  const { items: data, more } = capItems(all.data, cap);
  if (ctx.json) {
    printJson(ctx.io, data);
    return 0;
  }
  if (data.length === 0) {
    ctx.io.err('No pending invitations.\n');
    return 0;
  }
  printTable(
    ctx.io,
    ['ID', 'ORGANIZATION', 'SLUG', 'ROLE', 'EXPIRES'],
    data.map((i) => [i.id, i.organization.name, i.organization.slug, i.role, formatDate(i.expiresAt)]),
  );
  noteMore(ctx.io, data.length, more);
  if (ctx.io.stdoutIsTTY) ctx.io.err('Accept one with `acct invitations accept ID`\n');
  return 0;
}
