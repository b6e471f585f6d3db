import { ROUTES } from '@acct/shared/routes';
import type { BodyOf, members } from '@acct/shared';
import type { Context } from '../../context.js';
import { UsageError } from '../../lib/errors.js';
import { inOrg, orgParams } from '../../lib/org.js';
import { formatDate, printJson } from '../../lib/output.js';

export const ROLES = ['member', 'admin', 'owner'] as const;

export interface InviteOptions {
  org?: string;
  email?: string;
  role?: string;
}

/** `acct members invite EMAIL [--role R]`: mails a single-use link, valid 7 days. */
export async function run(ctx: Context, opts: InviteOptions): Promise<number> {
  const email = opts.email?.trim();
  if (!email || !email.includes('@')) throw new UsageError(`an email address is required: acct members invite EMAIL${email ? `, not "${email}"` : ''}`);
  const role = opts.role ?? 'member';
  if (!(ROLES as readonly string[]).includes(role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}, not ${role}`);
  const body = { email, role } as BodyOf<typeof members.inviteMember>;
  return inOrg(ctx, opts.org, async (org) => {
    const { data } = await ctx.api.call(ROUTES.inviteMember, { params: orgParams(org), body });
    if (ctx.json) printJson(ctx.io, data);
    else if (ctx.io.stdoutIsTTY)
      ctx.io.out(`✓ Invited ${data.email} as ${data.role} to ${data.organization.name} (${data.organization.slug}); the link expires ${formatDate(data.expiresAt)}\n`);
    else ctx.io.out(`${data.id}\n`);
    return 0;
  });
}
