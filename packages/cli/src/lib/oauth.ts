import type { Config, SavedToken } from './config.js';
import { storeFor } from './credentials.js';
import { KeychainUnavailableError, type Secrets, type SecretStore } from './secrets.js';
import type { Transport } from './transport.js';

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

/**
 * Refreshes a web sign-in silently: the refresh token rotates, both new tokens replace the old
 * ones. Returns the new access token, or null when the grant has ended (revoked, expired).
 */
export async function refreshSaved(deps: RefreshDeps, saved: SavedToken): Promise<string | null> {
  if (!saved.oauth) return null;
  const store = storeFor(deps.secrets, saved);
  let refresh: string | null;
  try {
    refresh = await store.get(saved.oauth.refreshAccount);
  } catch (err) {
    if (err instanceof KeychainUnavailableError) return null;
    throw err;
  }
  if (!refresh) return null;
  const answer = await oauthPost(deps.transport, deps.origin, '/oauth2/token', { grant_type: 'refresh_token', refresh_token: refresh, client_id: saved.oauth.clientId });
  if (answer.status !== 200 || typeof answer.body['access_token'] !== 'string') {
    deps.warn(`acct: warning: the web sign-in for ${deps.origin} has ended (${String(answer.body['error'] ?? answer.status)}); run \`acct login --web\` again\n`);
    return null;
  }
  const saved2 = await saveOAuthTokens({ origin: deps.origin, config: deps.config, now: deps.now() }, store, answer.body as unknown as OAuthTokens, saved.userId);
  Object.assign(saved, saved2);
  return answer.body['access_token'] as string;
}
