import type { Context } from '../context.js';
import type { Account, HostConfig } from './config.js';
import { UsageError } from './errors.js';
import { FileStore, KeychainUnavailableError, type SecretStore } from './secrets.js';

/**
 * Several accounts per host, as `gh auth switch` has: each keeps its saved tokens (tagged with
 * its user id) and its session. Only the active account's session sits in the cookie jar; the
 * others wait in the keychain, or, where none answers, in `sessions.json` (0600, the same
 * protection the cookie jar itself has).
 */

const sessionAccount = (origin: string, userId: string) => `${origin} session ${userId}`;

function sessionStores(ctx: Context): Record<'keychain' | 'file', SecretStore> {
  return { keychain: ctx.secrets.keychain, file: new FileStore(ctx.config.dir, 'sessions.json') };
}

/** Adds or updates `user` among the host's accounts. */
export function rememberAccount(host: HostConfig, user: { id: string; email: string; handle?: string }): Account {
  host.accounts ??= [];
  let account = host.accounts.find((a) => a.id === user.id);
  if (!account) host.accounts.push((account = { id: user.id, email: user.email }));
  account.email = user.email;
  if (user.handle) account.handle = user.handle;
  return account;
}

/** Moves the active account's session out of the jar, to wait while another account is active. */
export async function stashActiveSession(ctx: Context): Promise<void> {
  const host = ctx.config.host(ctx.origin);
  const active = host.user;
  const jar = await ctx.jar();
  if (!active || jar.cookieHeader(ctx.origin) === '') return;
  const account = rememberAccount(host, active);
  const cookies = jar.exportHost(ctx.origin);
  const stores = sessionStores(ctx);
  try {
    await stores.keychain.set(sessionAccount(ctx.origin, active.id), cookies);
    account.stashedSession = 'keychain';
  } catch (err) {
    if (!(err instanceof KeychainUnavailableError)) throw err;
    await stores.file.set(sessionAccount(ctx.origin, active.id), cookies);
    account.stashedSession = 'file';
  }
  jar.clearHost(ctx.origin);
  jar.save();
  ctx.config.save();
}

/** Makes `account` the active one: its stashed session back in the jar, its tokens in use. */
export async function activate(ctx: Context, account: Account): Promise<{ session: boolean }> {
  const host = ctx.config.host(ctx.origin);
  if (host.user?.id !== account.id) await stashActiveSession(ctx);
  let session = false;
  if (account.stashedSession) {
    const store = sessionStores(ctx)[account.stashedSession];
    const name = sessionAccount(ctx.origin, account.id);
    try {
      const cookies = await store.get(name);
      if (cookies) {
        const jar = await ctx.jar();
        jar.clearHost(ctx.origin);
        jar.importHost(cookies);
        jar.save();
        session = true;
      }
      await store.delete(name);
    } catch (err) {
      if (!(err instanceof KeychainUnavailableError)) throw err;
      ctx.io.err(`acct: warning: could not read the session kept for ${account.email}: ${err.message}\n`);
    }
    delete account.stashedSession;
  }
  host.user = { id: account.id, email: account.email, ...(account.handle ? { handle: account.handle } : {}) };
  ctx.config.save();
  return { session };
}

/** The account `--user EMAIL` names; without it, the other one when there are exactly two. */
export function chooseAccount(host: HostConfig, origin: string, email: string | undefined): Account {
  const accounts = host.accounts ?? [];
  const list = accounts.map((a) => `${a.email}${a.id === host.user?.id ? ' (active)' : ''}`).join('\n      ');
  if (email) {
    const found = accounts.find((a) => a.email.toLowerCase() === email.toLowerCase());
    if (!found) throw new UsageError(`no account ${email} on ${origin}: sign in to it with \`acct login --email ${email}\``, list ? `accounts here:\n      ${list}` : undefined);
    return found;
  }
  const others = accounts.filter((a) => a.id !== host.user?.id);
  if (others.length === 1) return others[0]!;
  if (others.length === 0) throw new UsageError(`only one account is signed in on ${origin}; add another with \`acct login\``);
  throw new UsageError(`${accounts.length} accounts on ${origin}: say which with --user EMAIL`, `accounts here:\n      ${list}`);
}
