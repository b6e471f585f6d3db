import { ROUTES } from '@acct/shared/routes';
import type { Context } from '../../context.js';
import { parseDuration } from '../../lib/duration.js';
import { inOrg, orgParams } from '../../lib/org.js';
import { formatDate, printJson } from '../../lib/output.js';

/** `acct webhooks rotate-secret ID [--overlap 1h]`: the new secret is printed once. */
export async function run(ctx: Context, opts: { id: string; org?: string; overlap?: string }): Promise<number> {
  const body = opts.overlap !== undefined ? { overlapSeconds: /^0+\s*[smhdwy]?$/i.test(opts.overlap.trim()) ? 0 : parseDuration(opts.overlap) } : {};
  return inOrg(ctx, opts.org, async (org) => {
    const { data } = await ctx.api.call(ROUTES.rotateWebhookSecret, { params: { ...orgParams(org), webhookId: opts.id }, body });
    if (ctx.json) printJson(ctx.io, data);
    else {
      const overlap = data.previousSecretExpiresAt ? `the old secret also signs until ${formatDate(data.previousSecretExpiresAt)}` : 'the old secret stopped signing now';
      ctx.io.err(`✓ Rotated the secret of webhook ${data.id}; ${overlap}\n`);
      ctx.io.out(`${data.secret}\n`);
    }
    return 0;
  });
}
