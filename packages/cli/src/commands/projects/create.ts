import { ROUTES } from '@acct/shared/routes';
import type { BodyOf, projects } from '@acct/shared';
import type { Context } from '../../context.js';
import { UsageError } from '../../lib/errors.js';
import { inOrg, orgLabel, orgParams } from '../../lib/org.js';
import { printJson } from '../../lib/output.js';

export interface CreateOptions {
  org?: string;
  name?: string;
  description?: string;
}

/** `acct projects create --name N`: costs credits (402 → exit 7 when short). */
export async function run(ctx: Context, opts: CreateOptions): Promise<number> {
  if (!opts.name) throw new UsageError('--name is required');
  const body: BodyOf<typeof projects.createProject> = { name: opts.name, ...(opts.description !== undefined ? { description: opts.description } : {}) };
  return inOrg(ctx, opts.org, async (org) => {
    const { data } = await ctx.api.call(ROUTES.createProject, { params: orgParams(org), body });
    if (ctx.json) printJson(ctx.io, data);
    else if (ctx.io.stdoutIsTTY) ctx.io.out(`✓ Created project ${data.id} "${data.name}" in ${orgLabel(org)}\n`);
    else ctx.io.out(`${data.id}\n`);
    return 0;
  });
}
