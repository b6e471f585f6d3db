import { Config, type SavedToken } from './config.js';
import { storeFor } from './credentials.js';
import { KeychainUnavailableError, type Secrets, type SecretStore } from './secrets.js';
import type { Transport } from './transport.js';
import { refreshLockFile, withFileLock } from './lock.js';

/** The CLI's own public OAuth client on every acct server (API.md "Phase 2 contracts"). */
export const CLI_CLIENT_ID = 'acct-cli';

/** Refresh this long before the access token expires, so a request never leaves with a dying token. */
const REFRESH_MARGIN_MS = 60_000;

/** Keychain accounts of a host's web sign-in: fixed names, so a refresh overwrites in place. */
export function oauthAccounts(origin: string): { access: string; refresh: string } {
  return { access: `${origin} oauth-access`, refresh: `${origin} oauth-refresh` };
}

export interface TokenAnswer {
  status: number;
  body: Record<string, unknown>;
}

/** One form POST to an OAuth endpoint (token, device authorization, revocation). */
export async function oauthPost(transport: Transport, origin: string, path: string, fields: Record<string, string>): Promise<TokenAnswer> {
  const res = await transport({
    url: new URL(path, origin).toString(), method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams(fields).toString(),
  });
  let body: Record<string, unknown> = {};
  try {
    body = res.body ? (JSON.parse(res.body) as Record<string, unknown>) : {};
  } catch {
    body = { error: 'invalid_response', error_description: `the server answered ${res.status} with no JSON` };
  }
  return { status: res.status, body };
}

export interface OAuthTokens {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  scope?: string;
}

/** Keeps a web sign-in's tokens: the access token as the host's token in use, the refresh token beside it. */
export async function saveOAuthTokens(
  deps: { origin: string; config: Config; now: Date },
  store: SecretStore, tokens: OAuthTokens, userId: string | undefined,
): Promise<SavedToken> {
  const { maskToken } = await import('@acct/shared');
  const accounts = oauthAccounts(deps.origin);
  await store.set(accounts.access, tokens.access_token);
  await store.set(accounts.refresh, tokens.refresh_token);
  const host = deps.config.host(deps.origin);
  const saved: SavedToken = {
    account: accounts.access, storage: store.kind, masked: maskToken(tokens.access_token), name: 'acct login --web',
    ...(tokens.scope !== undefined ? { scopes: tokens.scope.split(' ').filter(Boolean) } : {}),
    expiresAt: new Date(deps.now.getTime() + tokens.expires_in * 1000).toISOString(),
    ...(userId ? { userId } : {}), savedAt: deps.now.toISOString(),
    oauth: { clientId: CLI_CLIENT_ID, refreshAccount: accounts.refresh },
  };
  host.tokens = [saved, ...(host.tokens ?? []).filter((t) => t.account !== accounts.access)];
  deps.config.save();
  return saved;
}

/** An access token for one resource, from a grant's refresh token (`acct mcp`). */
export type ResourceToken = { token: string; expiresAt: number } | { error: string };

/**
 * Obtains, through the saved grant's refresh token, an access token narrowed to `resource` (RFC
 * 8707 §2.2: the web sign-in's grant is bound to the whole server, so its API and `/mcp` are both
 * within it). The refresh token rotates: the new one replaces the old in the store, so the next
 * refresh of either kind presents it; the saved API access token is left as it is. Runs under the
 * host's refresh lock (`withRefreshLock`): the refresh token is read once the lock is held, so it
 * is the one the last refresh of any acct process left, never one already spent.
 */
export async function accessTokenFor(deps: Pick<RefreshDeps, 'origin' | 'transport' | 'secrets' | 'now' | 'config'>, saved: SavedToken, resource: string): Promise<ResourceToken> {
  const oauth = saved.oauth;
  if (!oauth) return { error: 'not a web sign-in' };
  const store = storeFor(deps.secrets, saved);
  return withRefreshLock(deps, async () => {
    const refresh = await store.get(oauth.refreshAccount);
    if (!refresh) return { error: 'the refresh token is missing from the keychain' };
    const answer = await oauthPost(deps.transport, deps.origin, '/oauth2/token', { grant_type: 'refresh_token', refresh_token: refresh, client_id: oauth.clientId, resource });
    if (answer.status !== 200 || typeof answer.body['access_token'] !== 'string' || typeof answer.body['refresh_token'] !== 'string') {
      return { error: String(answer.body['error_description'] ?? answer.body['error'] ?? answer.status) };
    }
    await store.set(oauth.refreshAccount, answer.body['refresh_token']);
    return { token: answer.body['access_token'], expiresAt: deps.now().getTime() + Number(answer.body['expires_in'] ?? 0) * 1000 };
  });
}

/**
 * Serialises the refreshes of one host's web sign-in across acct processes (`acct mcp` running
 * for hours beside `acct auth token`, `acct call`, …): the refresh token rotates and the server
 * ends the grant when a spent one is presented again, so two processes must never refresh with
 * the same one. A lock file next to config.json (lib/lock.ts).
 */
export function withRefreshLock<T>(deps: { origin: string; config: Config }, fn: () => Promise<T>): Promise<T> {
  return withFileLock(refreshLockFile(deps.config.dir, deps.origin), fn);
}

export interface RefreshDeps {
  origin: string;
  transport: Transport;
  config: Config;
  secrets: Secrets;
  now: () => Date;
  warn: (text: string) => void;
}

/** Whether a saved web sign-in's access token is about to expire. */
export function needsRefresh(saved: SavedToken, now: Date): boolean {
  return Boolean(saved.oauth && saved.expiresAt && new Date(saved.expiresAt).getTime() - now.getTime() < REFRESH_MARGIN_MS);
}

/** A token another process saved this long before its expiry is still used rather than refreshed again. */
const STILL_VALID_MS = 5_000;

/**
 * Refreshes a web sign-in silently: the refresh token rotates, both new tokens replace the old
 * ones. Returns the new access token, or null when the grant has ended (revoked, expired).
 *
 * Under the host's refresh lock, config.json is read again first: when another acct process
 * refreshed while this one waited (the saved access token is no longer the one this process
 * read, and is not expired), its token is used and nothing is sent.
 */
export async function refreshSaved(deps: RefreshDeps, saved: SavedToken): Promise<string | null> {
  const oauth = saved.oauth;
  if (!oauth) return null;
  const store = storeFor(deps.secrets, saved);
  return withRefreshLock(deps, async () => {
    const latest = new Config(deps.config.dir);
    const current = latest.data.hosts[deps.origin]?.tokens?.find((t) => t.account === saved.account && t.oauth);
    if (current && (current.masked !== saved.masked || current.expiresAt !== saved.expiresAt || current.savedAt !== saved.savedAt)
      && current.expiresAt && new Date(current.expiresAt).getTime() - deps.now().getTime() > STILL_VALID_MS) {
      const token = await store.get(current.account).catch(() => null);
      if (token) {
        // This process's view of config.json follows, so a later save here does not write back the old token.
        deps.config.data = latest.data;
        Object.assign(saved, current);
        return token;
      }
    }
    let refresh: string | null;
    try {
      refresh = await store.get(oauth.refreshAccount);
    } catch (err) {
      if (err instanceof KeychainUnavailableError) return null;
      throw err;
    }
    if (!refresh) return null;
    const answer = await oauthPost(deps.transport, deps.origin, '/oauth2/token', { grant_type: 'refresh_token', refresh_token: refresh, client_id: oauth.clientId });
    if (answer.status !== 200 || typeof answer.body['access_token'] !== 'string') {
      deps.warn(`acct: warning: the web sign-in for ${deps.origin} has ended (${String(answer.body['error'] ?? answer.status)}); run \`acct login --web\` again\n`);
      return null;
    }
    // Saved over the latest config.json, not this process's copy from when it started (when the file has the sign-in at all).
    if (current) deps.config.data = latest.data;
    const saved2 = await saveOAuthTokens({ origin: deps.origin, config: deps.config, now: deps.now() }, store, answer.body as unknown as OAuthTokens, saved.userId);
    Object.assign(saved, saved2);
    return answer.body['access_token'] as string;
  });
}
