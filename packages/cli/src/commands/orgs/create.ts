import { ROUTES } from '@acct/shared/routes';
import type { BodyOf, organizations } from '@acct/shared';
import type { Context } from '../../context.js';
import { UsageError } from '../../lib/errors.js';
import { printJson } from '../../lib/output.js';

export interface CreateOptions {
  name?: string;
  slug?: string;
}

/** `acct orgs create NAME [--slug S]`: you become its owner; it starts on the free plan. */
export async function run(ctx: Context, opts: CreateOptions): Promise<number> {
  const name = opts.name?.trim();
  if (!name) throw new UsageError('a name is required: acct orgs create NAME');
  const body: BodyOf<typeof organizations.createOrganization> = { name, ...(opts.slug !== undefined ? { slug: opts.slug } : {}) };
  const { data } = await ctx.api.call(ROUTES.createOrganization, { body });
  if (ctx.json) printJson(ctx.io, data);
  else if (ctx.io.stdoutIsTTY) {
    ctx.io.out(`✓ Created organization ${data.name} (${data.slug}) ${data.id}\n`);
    ctx.io.err(`Make it the current organization with \`acct orgs switch ${data.slug}\`\n`);
  } else ctx.io.out(`${data.id}\n`);
  return 0;
}
