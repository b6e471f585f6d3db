import { ROUTES } from '@acct/shared/routes';
import type { DataOf, oauth } from '@acct/shared';
import type { Context } from '../../context.js';
import { formatDate, printJson, printTable } from '../../lib/output.js';
import { listCap, type ListFlags } from '../../lib/paginate.js';

type Grant = DataOf<typeof oauth.listOAuthGrants>[number];

/** `acct apps list`: the live OAuth grants of the signed-in user, newest first. */
export async function run(ctx: Context, opts: ListFlags = {}): Promise<number> {
  const cap = listCap(opts) ?? Number.POSITIVE_INFINITY;
  const grants: Grant[] = [];
  let cursor: string | undefined;
  do {
    const { data, envelope } = await ctx.api.call(ROUTES.listOAuthGrants, { query: { limit: 100, ...(cursor ? { cursor } : {}) } });
    grants.push(...data);
    cursor = envelope.meta?.pagination?.nextCursor ?? undefined;
  } while (cursor && grants.length < cap);
  const shown = grants.slice(0, cap);
  if (ctx.json) {
    printJson(ctx.io, shown);
    return 0;
  }
  if (shown.length === 0) {
    ctx.io.err('No connected apps.\n');
    return 0;
  }
  printTable(ctx.io, ctx.io.stdoutIsTTY ? ['ID', 'APP', 'SCOPES', 'ORGANIZATION', 'CONNECTED', 'LAST USED'] : [],
    shown.map((g) => [g.id, g.clientName, g.scopes.join(' '), g.organizationId ?? 'any', formatDate(g.createdAt), formatDate(g.lastUsedAt, 'never')]));
  return 0;
}
