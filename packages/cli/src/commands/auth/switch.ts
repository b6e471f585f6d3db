import type { Context } from '../../context.js';
import { activate, chooseAccount } from '../../lib/accounts.js';
import { printJson } from '../../lib/output.js';

export interface SwitchOptions {
  user?: string;
}

/**
 * `acct auth switch [--user EMAIL]`: makes another account signed in on this host the active
 * one (its session and saved tokens are used from now on), as `gh auth switch` does.
 */
export async function run(ctx: Context, opts: SwitchOptions): Promise<number> {
  const host = ctx.config.host(ctx.origin);
  const target = chooseAccount(host, ctx.origin, opts.user);
  const was = host.user?.email;
  const { session } = host.user?.id === target.id ? { session: true } : await activate(ctx, target);
  const tokens = (host.tokens ?? []).filter((t) => t.userId === target.id).length;
  if (ctx.json) printJson(ctx.io, { host: ctx.origin, active: target.email, previous: was ?? null, session, tokens });
  else {
    ctx.io.err(was === target.email ? `${target.email} is already the active account on ${ctx.origin}\n` : `✓ Switched the active account on ${ctx.origin} to ${target.email}${was ? ` (was ${was})` : ''}\n`);
    if (!session && tokens === 0) ctx.io.err(`  It has no session or saved token any more: \`acct login --email ${target.email}\`\n`);
  }
  return 0;
}
