import type { Context } from '../context.js';
import type { SavedToken } from './config.js';
import { storeFor } from './credentials.js';
import { UsageError } from './errors.js';
import { KeychainUnavailableError, type SecretStore } from './secrets.js';

/**
 * Where a new token will go: the OS keychain, or, only with --insecure-storage and only when no
 * keychain answers, the 0600 file. Called before minting a key so a failure loses nothing.
 */
export async function chooseStore(ctx: Context, insecureStorage: boolean): Promise<SecretStore> {
  try {
    await ctx.secrets.keychain.probe();
    return ctx.secrets.keychain;
  } catch (err) {
    if (!(err instanceof KeychainUnavailableError)) throw err;
    if (!insecureStorage) throw err;
    ctx.io.err(`acct: ${err.message}\n`);
    ctx.io.err(`acct: warning: --insecure-storage: the token will be stored in ${ctx.secrets.file.description}\n`);
    return ctx.secrets.file;
  }
}

export interface TokenInfo {
  id?: string;
  name?: string;
  scopes?: string[];
  expiresAt?: string | null;
  organizationId?: string | null;
  /** Defaults to the host's active account. */
  userId?: string;
}

/** Saves a PAT for the current host; it becomes the host's token in use. */
export async function saveToken(ctx: Context, store: SecretStore, token: string, info: TokenInfo): Promise<SavedToken> {
  const { parseToken, maskToken } = await import('@acct/shared');
  const parsed = parseToken(token);
  if (!parsed) throw new UsageError('that is not an acct token (wrong prefix, length or checksum)');
  const account = `${ctx.origin} ${parsed.lookupId}`;
  await store.set(account, token);
  const host = ctx.config.host(ctx.origin);
  const userId = info.userId ?? host.user?.id;
  const saved: SavedToken = { account, storage: store.kind, masked: maskToken(token), ...info, ...(userId ? { userId } : {}), savedAt: ctx.clock.now().toISOString() };
  host.tokens = [saved, ...(host.tokens ?? []).filter((t) => t.account !== account && (!info.id || t.id !== info.id))];
  ctx.config.save();
  return saved;
}

/** Deletes the saved PATs of the current host that match; returns what was forgotten. */
export async function forgetTokens(ctx: Context, match: (t: SavedToken) => boolean = () => true): Promise<SavedToken[]> {
  const host = ctx.config.data.hosts[ctx.origin];
  const forgotten = (host?.tokens ?? []).filter(match);
  if (!host || forgotten.length === 0) return [];
  for (const saved of forgotten) {
    try {
      if (saved.oauth) await storeFor(ctx.secrets, saved).delete(saved.oauth.refreshAccount);
      await storeFor(ctx.secrets, saved).delete(saved.account);
    } catch (err) {
      if (!(err instanceof KeychainUnavailableError)) throw err;
      ctx.io.err(`acct: warning: could not delete ${saved.masked} from the keychain: ${err.message}\n`);
    }
  }
  host.tokens = (host.tokens ?? []).filter((t) => !match(t));
  ctx.config.save();
  return forgotten;
}
