import { ROUTES } from '@acct/shared/routes';
import type { DataOf, users } from '@acct/shared';
import type { Context } from '../../context.js';
import { apiErrorFrom } from '../../lib/http.js';
import { UsageError } from '../../lib/errors.js';
import { readSecretFromStdin, valueOrPrompt } from '../../lib/io.js';
import { printJson } from '../../lib/output.js';
import { rememberAccount, stashActiveSession } from '../../lib/accounts.js';
import { chooseStore, saveToken } from '../../lib/token-store.js';

export interface LoginOptions {
  email?: string;
  passwordStdin: boolean;
  withToken: boolean;
  insecureStorage: boolean;
  web?: boolean;
  scope?: string;
}

/** `acct login`: a session cookie in the jar, or (`--with-token`) a PAT from stdin in the keychain. */
export async function run(ctx: Context, opts: LoginOptions): Promise<number> {
  if (opts.web && (opts.withToken || opts.email || opts.passwordStdin)) throw new UsageError('--web signs in in the browser: it takes no --email, --password-stdin or --with-token');
  if (opts.scope !== undefined && !opts.web) throw new UsageError('--scope goes with --web');
  if (opts.web) return (await import('./login-web.js')).run(ctx, { insecureStorage: opts.insecureStorage, ...(opts.scope !== undefined ? { scope: opts.scope } : {}) });
  if (opts.withToken) return loginWithToken(ctx, opts);
  const { io } = ctx;
  const known = ctx.config.data.hosts[ctx.origin]?.user?.email;
  const email = await valueOrPrompt(io, opts.email, '--email', () => io.prompter.input('Email:', known));
  let password: string;
  if (opts.passwordStdin) password = await readSecretFromStdin(io, 'password');
  else if (io.canPrompt) password = await io.prompter.password('Password:');
  else throw new UsageError('--password-stdin is required when not running interactively');

  // Signing in as another account keeps the active one's session for `acct auth switch`.
  const active = ctx.config.data.hosts[ctx.origin]?.user;
  if (active && active.email.toLowerCase() !== email.toLowerCase()) await stashActiveSession(ctx);
  const { data } = await ctx.api.call(ROUTES.signIn, { body: { email, password }, credential: 'none' });
  const host = ctx.config.host(ctx.origin);
  host.user = { id: data.user.id, email: data.user.email, handle: data.user.handle };
  delete rememberAccount(host, host.user).stashedSession;
  ctx.config.data.currentHost = ctx.origin;
  ctx.config.save();
  if (ctx.json) printJson(io, { host: ctx.origin, user: data.user, session: data.session });
  else io.err(`✓ Logged in to ${ctx.origin} as ${data.user.email}\n`);
  const token = host.tokens?.find((t) => !t.userId || t.userId === data.user.id);
  if (token && !ctx.json)
    io.err(`  Note: a saved token (${token.masked}) still goes before this session for most requests; \`acct logout --forget-token\` removes it.\n`);
  const others = (host.accounts ?? []).filter((a) => a.id !== data.user.id);
  if (others.length && !ctx.json) io.err(`  Also signed in here: ${others.map((a) => a.email).join(', ')} (\`acct auth switch\` to change)\n`);
  return 0;
}

async function loginWithToken(ctx: Context, opts: LoginOptions): Promise<number> {
  const { io } = ctx;
  if (io.stdinIsTTY) throw new UsageError('--with-token reads the token from stdin: acct login --with-token < token.txt');
  const token = await readSecretFromStdin(io, 'token');
  const { parseToken } = await import('@acct/shared');
  if (!parseToken(token)) throw new UsageError('stdin does not hold an acct token (wrong prefix, length or checksum)');
  const store = await chooseStore(ctx, opts.insecureStorage);

  // Check the token before keeping it; a token without user:read is still a good token.
  const res = await ctx.api.request(ROUTES.getMe, { headers: { authorization: `Bearer ${token}` }, credential: 'none' });
  if (res.status === 401 || (res.status >= 400 && res.status !== 403)) throw apiErrorFrom(res);
  const scopesHeader = res.headers['x-token-scopes'];
  const scopes = typeof scopesHeader === 'string' ? scopesHeader.split(/,\s*/).filter(Boolean) : undefined;
  const user = res.status === 200 ? ((res.json() as { data: DataOf<typeof users.getMe> }).data ?? null) : null;

  const host = ctx.config.host(ctx.origin);
  if (user) {
    // The token's account becomes the active one; another account's session waits for `acct auth switch`.
    if (host.user && host.user.id !== user.id) await stashActiveSession(ctx);
    host.user = { id: user.id, email: user.email, handle: user.handle };
    rememberAccount(host, host.user);
  }
  const saved = await saveToken(ctx, store, token, { ...(scopes ? { scopes } : {}), userId: user?.id ?? '' });
  ctx.config.data.currentHost = ctx.origin;
  ctx.config.save();
  if (ctx.json) printJson(io, { host: ctx.origin, token: saved.masked, storage: saved.storage, user });
  else io.err(`✓ Saved token ${saved.masked} for ${ctx.origin} in ${store.description}${user ? ` (${user.email})` : ''}\n`);
  return 0;
}
