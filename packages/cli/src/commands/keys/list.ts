import type { Context } from '../../context.js';
import { formatDate, printJson, printTable } from '../../lib/output.js';
import { collectPages } from '../../lib/paginate.js';
import type { ApiKey } from './show.js';

/** `acct keys list`: every key, all pages, never a secret. */
export async function run(ctx: Context): Promise<number> {
  const keys = await collectPages<ApiKey>(ctx.http, { method: 'GET', path: '/api/auth/api-key/list', query: { limit: 100 }, credential: 'session' });
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
  return 0;
}
