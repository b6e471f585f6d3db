import { ROUTES } from '@acct/shared/routes';
import type { BodyOf, keys } from '@acct/shared';
import type { Context } from '../../context.js';
import { parseDuration } from '../../lib/duration.js';
import { EXIT, UsageError } from '../../lib/errors.js';
import type { SavedToken } from '../../lib/config.js';
import { printJson } from '../../lib/output.js';
import { chooseStore } from '../../lib/token-store.js';
import { printNewKey, saveNewKey } from './show.js';

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
  const { data } = await ctx.api.call(ROUTES.listScopes, { credential: 'none' });
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

  const { data } = await ctx.api.call(ROUTES.createApiKey, { body, credential: 'session' });
  let saved: SavedToken | null = null;
  if (store) {
    // The key exists now and is shown only once: if it cannot be saved, it is printed, not lost.
    saved = await saveNewKey(ctx, store, data, 'created', data);
    if (!saved) return EXIT.FAILURE;
  }
  if (ctx.json) {
    printJson(ctx.io, { ...data, ...(saved ? { savedTo: saved.storage } : {}) });
    return 0;
  }
  printNewKey(ctx, data, saved ? `Saved to ${store!.description} for ${ctx.origin}: acct uses it for this host from now on.` : null);
  return 0;
}
