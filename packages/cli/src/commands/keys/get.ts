import { ROUTES } from '@acct/shared/routes';
import type { Context } from '../../context.js';
import { printJson } from '../../lib/output.js';
import { printKey } from './show.js';

export interface GetOptions {
  id: string;
}

/** `acct keys get ID`: one key and its history. */
export async function run(ctx: Context, opts: GetOptions): Promise<number> {
  const { data } = await ctx.api.call(ROUTES.getApiKey, { query: { id: opts.id }, credential: 'session' });
  if (ctx.json) printJson(ctx.io, data);
  else printKey(ctx, data);
  return 0;
}
