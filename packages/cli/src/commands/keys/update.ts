import { ROUTES } from '@acct/shared/routes';
import type { BodyOf, keys } from '@acct/shared';
import type { Context } from '../../context.js';
import { UsageError } from '../../lib/errors.js';
import { printJson } from '../../lib/output.js';
import { checkScopes } from './create.js';
import { printKey } from './show.js';

export interface UpdateOptions {
  id: string;
  name?: string;
  scopes?: string[];
  enable: boolean;
  disable: boolean;
}

/** `acct keys update ID`: rename, enable/disable, or narrow the scopes (the server never widens them). */
export async function run(ctx: Context, opts: UpdateOptions): Promise<number> {
  if (opts.enable && opts.disable) throw new UsageError('--enable and --disable cannot be combined');
  const body: BodyOf<typeof keys.updateApiKey> = { id: opts.id };
  if (opts.name !== undefined) body.name = opts.name;
  if (opts.enable) body.enabled = true;
  if (opts.disable) body.enabled = false;
  if (opts.scopes?.length) {
    await checkScopes(opts.scopes);
    body.scopes = [...new Set(opts.scopes)] as typeof body.scopes;
  }
  if (Object.keys(body).length === 1) throw new UsageError('nothing to change: pass --name, --scope, --enable or --disable');
  const { data } = await ctx.api.call(ROUTES.updateApiKey, { body, credential: 'session' });
  const saved = ctx.config.data.hosts[ctx.origin]?.tokens?.find((t) => t.id === data.id);
  if (saved) {
    saved.scopes = data.scopes;
    if (data.name) saved.name = data.name;
    ctx.config.save();
  }
  if (ctx.json) printJson(ctx.io, data);
  else {
    ctx.io.err(`✓ Updated key ${data.id}\n`);
    printKey(ctx, data);
  }
  return 0;
}
