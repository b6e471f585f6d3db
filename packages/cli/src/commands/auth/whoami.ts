import type { Context } from '../../context.js';
import { EXIT, exitCodeForStatus } from '../../lib/errors.js';
import { printJson } from '../../lib/output.js';
import { gatherStatus, statusExitCode } from './status.js';

/** `acct whoami`: the user on stdout (for scripts), where and how on stderr. */
export async function run(ctx: Context): Promise<number> {
  const status = await gatherStatus(ctx);
  if (ctx.json) {
    printJson(ctx.io, status);
    return statusExitCode(status);
  }
  if (status.user) {
    ctx.io.out(`${status.user.email}\n`);
    if (ctx.io.stderrIsTTY) ctx.io.err(`  on ${status.host} with ${status.credential.description}${status.credential.token ? ` ${status.credential.token}` : ''}\n`);
  } else if (status.credential.source === 'none') {
    ctx.io.err(`acct: not signed in to ${status.host}\nhint: run \`acct login\`, or set ACCT_TOKEN\n`);
  } else {
    ctx.io.err(`acct: ${status.error ? `${status.error.code}: ${status.error.message}` : 'unknown user'} (${status.credential.description} on ${status.host})\n`);
    return status.error ? exitCodeForStatus(status.error.status) : EXIT.UNAUTHORIZED;
  }
  return statusExitCode(status);
}
