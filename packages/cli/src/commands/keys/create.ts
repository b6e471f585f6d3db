import type { BodyOf, DataOf, keys } from '@acct/shared';
import type { Context } from '../../context.js';
import { parseDuration } from '../../lib/duration.js';
import { EXIT, UsageError } from '../../lib/errors.js';
import type { SavedToken } from '../../lib/config.js';
import { printJson } from '../../lib/output.js';
import { chooseStore, saveToken } from '../../lib/token-store.js';
import { printNewKey } from './show.js';

export interface CreateOptions {
  name?: string;
  scopes: string[];
  expires?: string;
  org?: string;
  save: boolean;
  insecureStorage: boolean;
}

/** Checks scope names against the catalogue before asking the server. */
export async function checkScopes(scopes: string[]): Promise<void> {
  const { isScope, SCOPE_NAMES } = await import('@acct/shared');
  const unknown = scopes.filter((s) => !isScope(s));
  if (unknown.length) throw new UsageError(`unknown scope${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`, `scopes are: ${SCOPE_NAMES.join(' ')}`);
}

/** On a terminal without --scope: a checklist of the server's scope catalogue, nothing pre-checked. */
async function chooseScopes(ctx: Context): Promise<string[]> {
  const { data } = await ctx.http.api<DataOf<typeof keys.listScopes>>({ method: 'GET', path: '/api/auth/scopes', credential: 'none' });
  const width = Math.max(...data.map((s) => s.name.length));
  return ctx.io.prompter.checkbox(
    'Scopes for the key (space to check, enter when done; choose only what it needs):',
    data.map((s) => ({ value: s.name, name: `${s.name.padEnd(width)}  ${s.description}` })),
  );
}

/** `acct keys create`: mints a PAT; at least one --scope (there is no all-scopes default). */
export async function run(ctx: Context, opts: CreateOptions): Promise<number> {
  if (!opts.name) throw new UsageError('--name is required: say what the key is for, e.g. --name "CI deploy bot"');
  let scopes = opts.scopes;
  if (scopes.length === 0) {
    if (!ctx.io.canPrompt)
      throw new UsageError('at least one --scope is required (there is no all-scopes default)', 'e.g. --scope user:read --scope projects:read; `acct call /api/auth/scopes` lists them');
    scopes = await chooseScopes(ctx);
  }
  await checkScopes(scopes);
  const body: BodyOf<typeof keys.createApiKey> = { name: opts.name, scopes: [...new Set(scopes)] as BodyOf<typeof keys.createApiKey>['scopes'] };
  if (opts.expires) body.expiresIn = parseDuration(opts.expires);
  if (opts.org) body.metadata = { organizationId: opts.org };
  // Find out whether the key can be kept before minting it, so a missing keychain loses nothing.
  const store = opts.save ? await chooseStore(ctx, opts.insecureStorage) : null;

  const { data } = await ctx.http.api<DataOf<typeof keys.createApiKey>>({ method: 'POST', path: '/api/auth/api-key/create', json: body, credential: 'session' });
  let saved: SavedToken | null = null;
  if (store) {
    try {
      saved = await saveToken(ctx, store, data.key, { id: data.id, name: data.name, scopes: data.scopes, expiresAt: data.expiresAt, organizationId: data.organizationId });
    } catch (err) {
      // The key exists now and is shown only once: print it rather than lose it.
      ctx.io.out(ctx.json ? `${JSON.stringify({ ...data, savedTo: null }, null, 2)}\n` : `${data.key}\n`);
      ctx.io.err(`acct: the key ${data.id} "${data.name}" was created, but saving it to ${store.description} failed: ${err instanceof Error ? err.message : String(err)}\n`);
      ctx.io.err(`acct: the key is printed above on stdout and will not be shown again: store it now, or revoke it with \`acct keys revoke ${data.id}\`\n`);
      return EXIT.FAILURE;
    }
  }
  if (ctx.json) {
    printJson(ctx.io, { ...data, ...(saved ? { savedTo: saved.storage } : {}) });
    return 0;
  }
  printNewKey(ctx, data, saved ? `Saved to ${store!.description} for ${ctx.origin}: acct uses it for this host from now on.` : null);
  return 0;
}
