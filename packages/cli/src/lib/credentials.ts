import type { Config, SavedToken } from './config.js';
import { KeychainUnavailableError, type Secrets, type SecretStore } from './secrets.js';

/** The credential a request carries, and where it came from (shown by `acct auth status`). */
export type Credential =
  | { source: 'flag' | 'env'; token: string }
  | { source: 'keychain' | 'file'; token: string; saved: SavedToken }
  | { source: 'cookie' }
  | { source: 'none' };

/**
 * `auto`: the contract's precedence, --token > ACCT_TOKEN > saved PAT > session cookie.
 * `session`: for routes only a signed-in session may call (minting and managing keys): an
 * explicit --token/ACCT_TOKEN still wins, but the session cookie goes before a saved PAT.
 * `none`: send nothing (sign-up, sign-in).
 */
export type CredentialPreference = 'auto' | 'session' | 'none';

export interface CredentialSources {
  origin: string;
  flagToken: string | undefined;
  env: NodeJS.ProcessEnv;
  config: Config;
  secrets: Secrets;
  hasSessionCookie: () => Promise<boolean>;
  warn: (text: string) => void;
  /** Refreshes an expiring web sign-in (`acct login --web`); the new access token, or null. */
  refreshOAuth?: (saved: SavedToken) => Promise<string | null>;
  now?: () => Date;
}

/** Resolves which credential a request sends. */
export async function resolveCredential(src: CredentialSources, prefer: CredentialPreference = 'auto'): Promise<Credential> {
  if (prefer === 'none') return { source: 'none' };
  if (src.flagToken) return { source: 'flag', token: src.flagToken.trim() };
  const envToken = src.env['ACCT_TOKEN']?.trim();
  if (envToken) return { source: 'env', token: envToken };
  if (prefer === 'session' && (await src.hasSessionCookie())) return { source: 'cookie' };
  const saved = await loadSavedToken(src);
  if (saved) return saved;
  return (await src.hasSessionCookie()) ? { source: 'cookie' } : { source: 'none' };
}

async function loadSavedToken(src: CredentialSources): Promise<Credential | null> {
  // Only the active account's tokens (and tokens saved before accounts were told apart).
  const host = src.config.data.hosts[src.origin];
  const active = host?.user?.id;
  const saved = host?.tokens?.find((t) => !active || !t.userId || t.userId === active);
  if (!saved) return null;
  const store = storeFor(src.secrets, saved);
  try {
    if (saved.oauth && src.refreshOAuth && saved.expiresAt && new Date(saved.expiresAt).getTime() - (src.now?.() ?? new Date()).getTime() < 60_000) {
      const fresh = await src.refreshOAuth(saved);
      if (fresh) return { source: saved.storage, token: fresh, saved };
    }
    const token = await store.get(saved.account);
    if (token) return { source: saved.storage, token, saved };
    src.warn(`acct: warning: the token saved for ${src.origin} (${saved.masked}) is missing from ${store.description}\n`);
  } catch (err) {
    if (!(err instanceof KeychainUnavailableError)) throw err;
    src.warn(`acct: warning: could not read the saved token for ${src.origin}: ${err.message}\n`);
  }
  return null;
}

export function storeFor(secrets: Secrets, saved: Pick<SavedToken, 'storage'>): SecretStore {
  return saved.storage === 'file' ? secrets.file : secrets.keychain;
}

/** Human name of a credential source. */
export function describeSource(credential: Credential): string {
  switch (credential.source) {
    case 'flag':
      return 'token from --token';
    case 'env':
      return 'token from ACCT_TOKEN';
    case 'keychain':
      return credential.saved.oauth ? 'OAuth grant from `acct login --web` (OS keychain)' : 'saved token (OS keychain)';
    case 'file':
      return credential.saved.oauth ? 'OAuth grant from `acct login --web` (plain file, --insecure-storage)' : 'saved token (plain file, --insecure-storage)';
    case 'cookie':
      return 'session cookie';
    case 'none':
      return 'none';
  }
}
