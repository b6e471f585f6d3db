import { ROUTES } from '@acct/shared/routes';
import type { BodyOf, webhooks } from '@acct/shared';
import type { Context } from '../../context.js';
import { UsageError } from '../../lib/errors.js';
import { inOrg, orgLabel, orgParams } from '../../lib/org.js';
import { printJson } from '../../lib/output.js';

export interface CreateOptions {
  org?: string;
  url?: string;
  events: string[];
  description?: string;
}

/** Checks event types against the catalogue before asking the server. */
export async function checkEvents(events: string[]): Promise<void> {
  const { WEBHOOK_EVENT_TYPES, isWebhookEventType } = await import('@acct/shared');
  const unknown = events.filter((e) => !isWebhookEventType(e));
  if (unknown.length) throw new UsageError(`unknown event type${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`, `event types are: ${WEBHOOK_EVENT_TYPES.join(' ')}`);
}

/** `acct webhooks create --url U --event E…`: the secret is printed once (alone on stdout when it is not a terminal). */
export async function run(ctx: Context, opts: CreateOptions): Promise<number> {
  if (!opts.url) throw new UsageError('--url is required');
  if (opts.events.length === 0) throw new UsageError('at least one --event is required, e.g. --event project.created');
  await checkEvents(opts.events);
  const body = { url: opts.url, events: [...new Set(opts.events)], ...(opts.description !== undefined ? { description: opts.description } : {}) } as BodyOf<typeof webhooks.createWebhook>;
  return inOrg(ctx, opts.org, async (org) => {
    const { data } = await ctx.api.call(ROUTES.createWebhook, { params: orgParams(org), body });
    if (ctx.json) printJson(ctx.io, data);
    else if (ctx.io.stdoutIsTTY) {
      ctx.io.out(`✓ Created webhook ${data.id} in ${orgLabel(org)} for ${data.events.join(', ')}\n`);
      ctx.io.out(`Signing secret (shown only now; verify deliveries with it):\n${data.secret}\n`);
    } else {
      ctx.io.err(`✓ Created webhook ${data.id}; its signing secret is on stdout and will not be shown again\n`);
      ctx.io.out(`${data.secret}\n`);
    }
    return 0;
  });
}
