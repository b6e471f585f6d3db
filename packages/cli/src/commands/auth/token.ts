import type { Context } from '../../context.js';
import { CliError, EXIT } from '../../lib/errors.js';

/**
 * `acct auth token`: prints the token the next command would send, and nothing else, for
 * `curl -H "Authorization: Bearer $(acct auth token)"` (as `gh auth token`). A session cookie is
 * not printed: the server accepts it only as a cookie, never as a bearer token.
 */
export async function run(ctx: Context): Promise<number> {
  const credential = await ctx.http.credential();
  if ('token' in credential) {
    ctx.io.out(`${credential.token}\n`);
    return 0;
  }
  if (credential.source === 'cookie')
    throw new CliError(
      `the credential in use for ${ctx.origin} is a session cookie, which works only as a cookie, not as a token`,
      EXIT.FAILURE,
      'save a token for scripts: acct keys create --name … --scope … --save (then acct auth token prints it)',
    );
  throw new CliError(`no credential for ${ctx.origin}`, EXIT.UNAUTHORIZED, 'sign in with `acct login`, save a token with `acct login --with-token`, or set ACCT_TOKEN');
}
