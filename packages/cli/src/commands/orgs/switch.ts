import type { Context } from '../../context.js';
import { UsageError } from '../../lib/errors.js';
import { printJson } from '../../lib/output.js';
import { describeChoices, findOrganization, listOrganizations } from '../../lib/org.js';

export interface SwitchOptions {
  org?: string;
  unset?: boolean;
}

/**
 * `acct orgs switch ID|SLUG`: the organization `projects`, `members` and `credits` use on this
 * host when neither --org nor ACCT_ORG is given, kept in config.json. `--unset` forgets it.
 */
export async function run(ctx: Context, opts: SwitchOptions): Promise<number> {
  const host = ctx.config.host(ctx.origin);
  if (opts.unset) {
    if (opts.org) throw new UsageError('--unset takes no organization');
    const was = host.organization;
    delete host.organization;
    ctx.config.save();
    if (ctx.json) printJson(ctx.io, { host: ctx.origin, organization: null });
    else ctx.io.err(was ? `✓ ${ctx.origin} has no current organization now (was ${was.name})\n` : `${ctx.origin} had no current organization\n`);
    return 0;
  }
  if (!opts.org) throw new UsageError('which organization? acct orgs switch ID|SLUG (`acct orgs list` shows them)');
  const orgs = await listOrganizations(ctx);
  const found = findOrganization(orgs, opts.org);
  if (!found)
    throw new UsageError(
      orgs.length ? `you are not a member of an organization with the id or slug "${opts.org}"; yours are:` : `you belong to no organization, so cannot switch to "${opts.org}"`,
      orgs.length ? describeChoices(orgs) : 'create one with `acct orgs create NAME`',
    );
  host.organization = { id: found.id, slug: found.slug, name: found.name };
  ctx.config.save();
  if (ctx.json) printJson(ctx.io, { host: ctx.origin, organization: found });
  else {
    ctx.io.err(`✓ Switched to ${found.name} (${found.slug}) on ${ctx.origin}\n`);
    if (ctx.env['ACCT_ORG']) ctx.io.err(`warning: ACCT_ORG=${ctx.env['ACCT_ORG']} is set and takes precedence over the current organization\n`);
  }
  return 0;
}
