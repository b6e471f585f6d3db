import { ROUTES } from '@acct/shared/routes';
import { users } from '@acct/shared';
import type { Context } from '../../context.js';
import { CliError, UsageError } from '../../lib/errors.js';
import { inOrg, orgLabel, orgParams } from '../../lib/org.js';
import { printJson } from '../../lib/output.js';

export interface RemoveOptions {
  org?: string;
  member?: string;
}

/** `acct members remove USER_ID|EMAIL`: their keys stop working for the organization at once. */
export async function run(ctx: Context, opts: RemoveOptions): Promise<number> {
  const ref = opts.member?.trim();
  if (!ref) throw new UsageError('who? acct members remove USER_ID|EMAIL (`acct members list` shows them)');
  return inOrg(ctx, opts.org, async (org) => {
    let userId = ref;
    let label = ref;
    if (ref.includes('@')) {
      const { items } = await ctx.api.list(ROUTES.listMembers, { params: orgParams(org) }, null);
      // The server's one email normalisation: a fullwidth or upper-case spelling names the same member.
      const normal = (address: string) => { const v = users.checkEmail(address); return v.ok ? v.email : address.toLowerCase(); };
      const found = items.find((m) => normal(m.email) === normal(ref));
      if (!found) throw new CliError(`${ref} is not a member of ${orgLabel(org)}`, 1, 'see `acct members list`; a pending invitation is not a membership yet');
      userId = found.userId;
      label = `${found.email} (${found.userId})`;
    }
    const { data } = await ctx.api.call(ROUTES.removeMember, { params: { ...orgParams(org), userId } });
    if (ctx.json) printJson(ctx.io, data);
    else ctx.io.err(`✓ Removed ${label} from ${orgLabel(org)}\n`);
    return 0;
  });
}
