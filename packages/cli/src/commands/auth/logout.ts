import { ROUTES } from '@acct/shared/routes';
import type { Context } from '../../context.js';
import { printJson } from '../../lib/output.js';
import { forgetTokens } from '../../lib/token-store.js';
import { storeFor } from '../../lib/credentials.js';

/** A web sign-in's grant is revoked on the server (its refresh token ends the whole grant) before its tokens are forgotten. */
async function revokeWebSignIn(ctx: Context): Promise<void> {
  for (const saved of ctx.config.data.hosts[ctx.origin]?.tokens ?? []) {
    if (!saved.oauth) continue;
    try {
      const refresh = await storeFor(ctx.secrets, saved).get(saved.oauth.refreshAccount);
      if (!refresh) continue;
      const res = await ctx.http.request({
        method: 'POST', path: '/oauth2/revoke', credential: 'none',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: refresh, client_id: saved.oauth.clientId }).toString(),
      });
      if (res.status !== 200) ctx.io.err(`acct: warning: the server answered ${res.status} to revoking the web sign-in; forgetting it here anyway\n`);
    } catch (err) {
      ctx.io.err(`acct: warning: could not revoke the web sign-in on the server: ${(err as Error).message}\n`);
    }
  }
}

export interface LogoutOptions {
  forgetToken: boolean;
}

/**
 * `acct logout`: ends the session on the server first (so a copied cookie dies too), then
 * forgets the host's cookies and, with --forget-token, its saved PATs (SECURITY.md "CLI storage").
 */
export async function run(ctx: Context, opts: LogoutOptions): Promise<number> {
  const { io } = ctx;
  const jar = await ctx.jar();
  let signedOut = false;
  if (jar.cookieHeader(ctx.origin) !== '') {
    const res = await ctx.api.request(ROUTES.signOut, { credential: 'session' });
    // 401: the session had already ended on the server; either way the local cookie goes.
    signedOut = res.status >= 200 && res.status < 300;
    if (!signedOut && res.status !== 401) io.err(`acct: warning: the server answered ${res.status} to sign-out; clearing the local session anyway\n`);
  }
  jar.clearHost(ctx.origin);
  jar.save();
  const host = ctx.config.data.hosts[ctx.origin];
  const hadUser = Boolean(host?.user);
  if (host?.user) {
    const gone = host.user.id;
    host.accounts = (host.accounts ?? []).filter((a) => a.id !== gone);
    if (host.accounts.length === 0) delete host.accounts;
    delete host.user;
  }
  ctx.config.save();
  if (opts.forgetToken) await revokeWebSignIn(ctx);
  const forgotten = opts.forgetToken ? await forgetTokens(ctx) : [];

  if (ctx.json) {
    printJson(io, { host: ctx.origin, signedOut, forgottenTokens: forgotten.map((t) => t.masked) });
    return 0;
  }
  if (signedOut || hadUser) io.err(`✓ Logged out of ${ctx.origin}\n`);
  else io.err(`Not signed in to ${ctx.origin}\n`);
  for (const t of forgotten) io.err(`✓ Deleted saved token ${t.masked}\n`);
  const others = ctx.config.data.hosts[ctx.origin]?.accounts ?? [];
  if (others.length) io.err(`  Still signed in here: ${others.map((a) => a.email).join(', ')}; \`acct auth switch --user ${others[0]!.email}\` makes it active.\n`);
  const left = ctx.config.data.hosts[ctx.origin]?.tokens ?? [];
  if (left.length) io.err(`  A saved token (${left[0]!.masked}) still works for this host; \`acct logout --forget-token\` deletes it.\n`);
  return 0;
}
