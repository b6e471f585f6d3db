import { ROUTES } from '@acct/shared/routes';
import { randomUUID } from 'node:crypto';
import { payments, type BodyOf } from '@acct/shared';
import type { Context } from '../../context.js';
import { ApiError, CliError, NetworkError, UsageError } from '../../lib/errors.js';
import { header } from '../../lib/http.js';
import { inOrg, orgLabel, orgParams } from '../../lib/org.js';
import { printJson } from '../../lib/output.js';

export interface TopUpOptions {
  org?: string;
  amount?: string;
  description?: string;
  idempotencyKey?: string;
}

const { MAX_TOP_UP } = payments;

/** Stripe's rule, as the server applies it: 1–255 printable ASCII characters, no spaces. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * `acct credits top-up AMOUNT`: adds credits with an `Idempotency-Key`, generated and printed
 * when not given, so a retry after a timeout can reuse it and credit at most once.
 */
export async function run(ctx: Context, opts: TopUpOptions): Promise<number> {
  const amount = Number(opts.amount);
  if (!opts.amount || !/^\d+$/.test(opts.amount.trim()) || amount < 1 || amount > MAX_TOP_UP)
    throw new UsageError(`AMOUNT must be a whole number of credits from 1 to ${MAX_TOP_UP}${opts.amount ? `, not ${opts.amount}` : ''}`);
  if (opts.description !== undefined && (opts.description.length < 1 || opts.description.length > 200)) throw new UsageError('--description must be 1 to 200 characters');
  if (opts.idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(opts.idempotencyKey))
    throw new UsageError('--idempotency-key must be 1 to 255 printable ASCII characters without spaces');
  const key = opts.idempotencyKey ?? randomUUID();
  const retry = `retry with --idempotency-key ${key}: it credits at most once`;
  // Said before the request, so the key survives a timeout or a dropped connection.
  if (!opts.idempotencyKey) ctx.io.err(`Idempotency key: ${key}\n`);

  const body: BodyOf<typeof payments.createPayment> = { amount, ...(opts.description !== undefined ? { description: opts.description } : {}) };
  return inOrg(ctx, opts.org, async (org) => {
    let res;
    try {
      res = await ctx.api.call(ROUTES.createPayment, { params: orgParams(org), body, headers: { 'Idempotency-Key': key } });
    } catch (err) {
      // The top-up may or may not have happened: say how to find out without paying twice.
      if (err instanceof NetworkError || (err instanceof ApiError && err.status >= 500)) throw new CliError(err.message, err.exitCode, retry);
      throw err;
    }
    const { data, response } = res;
    const replayed = header(response, 'idempotent-replayed') === 'true';
    if (ctx.json) printJson(ctx.io, { ...data, idempotencyKey: key, replayed });
    else if (ctx.io.stdoutIsTTY) {
      ctx.io.out(
        replayed
          ? `✓ Already done: this key added ${data.amount} credits to ${orgLabel(org)} before (${data.id}); nothing added now. Balance then: ${data.balanceAfter}\n`
          : `✓ Added ${data.amount} credits to ${orgLabel(org)} (${data.id}); balance ${data.balanceAfter}\n`,
      );
    } else {
      if (replayed) ctx.io.err(`acct: replayed: this idempotency key was used before; nothing added now\n`);
      ctx.io.out(`${data.id}\n`);
    }
    return 0;
  });
}
