import { ROUTES } from '@acct/shared/routes';
import type { Context } from '../../context.js';
import { printJson } from '../../lib/output.js';

/** `acct apps revoke ID`: the grant ends on the server; the app's tokens stop on their next request. */
export async function run(ctx: Context, opts: { id: string }): Promise<number> {
  const { data } = await ctx.api.call(ROUTES.revokeOAuthGrant, { params: { grantId: opts.id } });
  if (ctx.json) printJson(ctx.io, data);
  else ctx.io.err(`✓ Disconnected ${data.clientName} (${data.id})\n`);
  return 0;
}
