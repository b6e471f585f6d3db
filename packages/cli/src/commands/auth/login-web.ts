import { ROUTES } from '@acct/shared/routes';
import childProcess from 'node:child_process';
import type { DataOf, users } from '@acct/shared';
import type { Context } from '../../context.js';
import { CliError, EXIT } from '../../lib/errors.js';
import { rememberAccount, stashActiveSession } from '../../lib/accounts.js';
import { CLI_CLIENT_ID, oauthPost, saveOAuthTokens, type OAuthTokens } from '../../lib/oauth.js';
import { printJson } from '../../lib/output.js';
import { chooseStore } from '../../lib/token-store.js';

/** What `acct login --web` asks for: the whole API, as a signed-in session could (the consent page shows it). */
const WEB_SCOPES = [
  'user:read', 'user:write', 'organizations:read', 'organizations:write', 'projects:read', 'projects:write', 'members:read', 'members:write',
  'teams:read', 'teams:write', 'payments:read', 'payments:write', 'subscription:read', 'subscription:write', 'api-keys:read', 'api-keys:write',
  'intake:write', 'offline_access',
];

export interface WebLoginOptions {
  insecureStorage: boolean;
  /** Space-separated scopes instead of the whole API. */
  scope?: string;
}

interface DeviceAnswer {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete?: string;
  expires_in: number;
  interval?: number;
}

/** Opens a URL in the user's browser when there is one to open; never fails the sign-in. */
function openBrowser(ctx: Context, url: string): boolean {
  const env = ctx.env;
  if (!ctx.io.stderrIsTTY || env['CI'] || env['BROWSER'] === 'none' || env['ACCT_NO_BROWSER']) return false;
  const browser = env['BROWSER'];
  const [command, args] = browser ? [browser, [url]] : process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '""', url]] : ['xdg-open', [url]];
  try {
    const child = childProcess.spawn(command, args, { stdio: 'ignore', detached: true });
    child.on('error', () => {});
    child.unref();
    return true;
  } catch {
    return false;
  }
}

function oauthFailure(body: Record<string, unknown>, status: number): CliError {
  const error = String(body['error'] ?? status);
  const description = typeof body['error_description'] === 'string' ? `: ${body['error_description']}` : '';
  return new CliError(`web sign-in failed (${error}${description})`, status === 429 ? EXIT.RATE_LIMITED : EXIT.FAILURE);
}

/**
 * `acct login --web`: the device authorization grant (RFC 8628) with the CLI's client `acct-cli`.
 * Prints the URL and the code (and opens the browser when it can), polls at the server's
 * interval, slows down on `slow_down`, and keeps the tokens in the keychain; later commands
 * refresh the access token silently.
 */
export async function run(ctx: Context, opts: WebLoginOptions): Promise<number> {
  const { io } = ctx;
  // Where the tokens will go is settled before the user is sent anywhere.
  const store = await chooseStore(ctx, opts.insecureStorage);
  const transport = async (req: Parameters<Parameters<typeof oauthPost>[0]>[0]) => {
    const res = await ctx.http.request({ method: req.method, path: req.url, headers: req.headers, body: req.body as string, credential: 'none' });
    return { status: res.status, statusText: '', headers: res.headers, body: res.text };
  };
  const started = await oauthPost(transport, ctx.origin, '/oauth2/device_authorization', { client_id: CLI_CLIENT_ID, scope: opts.scope ?? WEB_SCOPES.join(' ') });
  if (started.status !== 200) throw oauthFailure(started.body, started.status);
  const device = started.body as unknown as DeviceAnswer;
  const link = device.verification_uri_complete ?? device.verification_uri;
  io.err(`! Your one-time code: ${device.user_code}\n`);
  io.err(`  Open ${link} in a browser, sign in, and press Allow.\n`);
  if (openBrowser(ctx, link)) io.err('  (opening your browser…)\n');
  io.err('  Waiting for the answer…\n');

  let interval = Math.max(1, device.interval ?? 5);
  const deadline = ctx.clock.now().getTime() + device.expires_in * 1000;
  let tokens: OAuthTokens;
  for (;;) {
    await ctx.clock.sleep(interval * 1000);
    const polled = await oauthPost(transport, ctx.origin, '/oauth2/token', {
      grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: device.device_code, client_id: CLI_CLIENT_ID,
    });
    if (polled.status === 200) {
      tokens = polled.body as unknown as OAuthTokens;
      break;
    }
    const error = polled.body['error'];
    if (error === 'authorization_pending') {
      if (ctx.clock.now().getTime() > deadline) throw new CliError('the code expired before it was approved', EXIT.UNAUTHORIZED, 'run `acct login --web` again');
      continue;
    }
    if (error === 'slow_down') {
      interval += 5;
      continue;
    }
    if (error === 'expired_token') throw new CliError('the code expired before it was approved', EXIT.UNAUTHORIZED, 'run `acct login --web` again');
    if (error === 'access_denied') throw new CliError('the sign-in was denied in the browser', EXIT.FORBIDDEN);
    throw oauthFailure(polled.body, polled.status);
  }

  const me = await ctx.api.request(ROUTES.getMe, { headers: { authorization: `Bearer ${tokens.access_token}` }, credential: 'none' });
  const user = me.status === 200 ? (me.json() as { data: DataOf<typeof users.getMe> }).data : null;
  const host = ctx.config.host(ctx.origin);
  if (user) {
    if (host.user && host.user.id !== user.id) await stashActiveSession(ctx);
    host.user = { id: user.id, email: user.email, handle: user.handle };
    rememberAccount(host, host.user);
  }
  ctx.config.data.currentHost = ctx.origin;
  const saved = await saveOAuthTokens({ origin: ctx.origin, config: ctx.config, now: ctx.clock.now() }, store, tokens, user?.id);
  if (ctx.json) printJson(io, { host: ctx.origin, user, token: saved.masked, scopes: saved.scopes, expiresAt: saved.expiresAt, storage: saved.storage });
  else io.err(`✓ Logged in to ${ctx.origin}${user ? ` as ${user.email}` : ''} (web sign-in; tokens in ${store.description})\n`);
  return 0;
}
