import type { Context } from '../../context.js';
import { UsageError } from '../../lib/errors.js';

/** `--org`, else ACCT_ORG, else the caller's only organization; several is a usage error. */
export async function resolveOrg(ctx: Context, flag: string | undefined): Promise<string> {
  const chosen = flag || ctx.env['ACCT_ORG'];
  if (chosen) return chosen;
  const res = await ctx.http.request({ method: 'GET', path: '/api/user/organizations' });
  const orgs = res.status === 200 ? ((res.json() as { data: { id: string; name: string }[] }).data ?? []) : null;
  if (orgs?.length === 1) return orgs[0]!.id;
  if (orgs && orgs.length > 1)
    throw new UsageError(`you belong to ${orgs.length} organizations: pass --org ID (or set ACCT_ORG)`, orgs.map((o) => `${o.id}  ${o.name}`).join('\n      '));
  throw new UsageError('pass --org ID (or set ACCT_ORG): the organizations could not be listed with this credential');
}
