import { ROUTES } from '@acct/shared/routes';
import type { DataOf, invitations } from '@acct/shared';
import type { Context } from '../../context.js';
import { ApiError, CliError, UsageError } from '../../lib/errors.js';
import { printJson } from '../../lib/output.js';

export interface AcceptOptions {
  /** An invitation id, or the mailed link (`…/api/invitations/<id>?token=…`). */
  invitation?: string;
  token?: string;
}

/** The invitation id and token from an id, or from the link in the invitation mail. */
export function parseInvitation(ref: string, token: string | undefined): { id: string; token: string | undefined } {
  if (!/^https?:\/\//i.test(ref)) return { id: ref, token };
  let url: URL;
  try {
    url = new URL(ref);
  } catch {
    throw new UsageError(`not an invitation link: ${ref}`);
  }
  const m = /\/invitations\/([^/]+)\/?$/.exec(url.pathname);
  if (!m) throw new UsageError(`not an invitation link: ${url.origin}${url.pathname}`, 'pass the invitation id, or the link from the mail (…/api/invitations/ID?token=…)');
  const fromLink = url.searchParams.get('token') ?? undefined;
  if (token !== undefined && fromLink !== undefined && token !== fromLink) throw new UsageError('--token differs from the token in the link');
  return { id: decodeURIComponent(m[1]!), token: token ?? fromLink };
}

/**
 * `acct invitations accept ID [--token T]`: join as the invited address. A verified address
 * needs no token; otherwise pass the one from the mail (or the whole link), which also verifies it.
 */
export async function run(ctx: Context, opts: AcceptOptions): Promise<number> {
  if (!opts.invitation) throw new UsageError('which invitation? acct invitations accept ID (`acct invitations list` shows them)');
  if (opts.token !== undefined && opts.token.trim() === '') throw new UsageError('--token is empty');
  const { id, token } = parseInvitation(opts.invitation.trim(), opts.token?.trim());
  let data: DataOf<typeof invitations.acceptInvitation>;
  try {
    ({ data } = await ctx.api.call(ROUTES.acceptInvitation, { params: { invitationId: id }, body: token === undefined ? {} : { token } }));
  } catch (err) {
    // A 401 here is about the invitation's token, not the credential the generic hint talks about.
    if (err instanceof ApiError && err.code === 'INVALID_TOKEN' && token !== undefined)
      throw new CliError(err.message, err.exitCode, 'the invitation token is wrong or was replaced by a newer invitation; use the link from the latest mail');
    throw err;
  }
  if (ctx.json) printJson(ctx.io, data);
  else {
    ctx.io.err(`✓ Joined ${data.name} (${data.slug}) as ${data.role}\n`);
    ctx.io.err(`Work in it with \`acct orgs switch ${data.slug}\`\n`);
  }
  return 0;
}
