import { ROUTES } from '@acct/shared/routes';
import type { Context } from '../../context.js';
import { formatDate, printJson, printTable } from '../../lib/output.js';
import { listCap, noteMore, type ListFlags } from '../../lib/paginate.js';

/** `acct keys list`: your keys, newest first, never a secret; 30 unless --limit N or --paginate. */
export async function run(ctx: Context, opts: ListFlags = {}): Promise<number> {
  const cap = listCap(opts);
  const { items: keys, more } = await ctx.api.list(ROUTES.listApiKeys, { credential: 'session' }, cap);
  if (ctx.json) {
    printJson(ctx.io, keys);
    return 0;
  }
  if (keys.length === 0) {
    ctx.io.err('No keys yet. Create one with `acct keys create --name … --scope …`\n');
    return 0;
  }
  printTable(
    ctx.io,
    ['ID', 'NAME', 'START', 'STATUS', 'SCOPES', 'ORG', 'EXPIRES', 'LAST USED'],
    keys.map((k) => [k.id, k.name, `${k.start}…`, k.status, k.scopes.join(','), k.organizationId ?? '-', formatDate(k.expiresAt, 'never'), formatDate(k.lastUsedAt, 'never')]),
  );
  noteMore(ctx.io, keys.length, more);
  return 0;
}
