import { ROUTES } from '@acct/shared/routes';
import type { Context } from '../../context.js';
import { inOrg, orgLabel, orgParams } from '../../lib/org.js';
import { formatDate, printJson, printTable } from '../../lib/output.js';
import { listCap, noteMore, type ListFlags } from '../../lib/paginate.js';

export interface ShowOptions extends ListFlags {
  org?: string;
}

const signed = (n: number) => (n > 0 ? `+${n}` : String(n));

/** `acct credits`: the balance, plan and seats, then the ledger, newest first. */
export async function run(ctx: Context, opts: ShowOptions): Promise<number> {
  const cap = listCap(opts);
  return inOrg(ctx, opts.org, async (org) => {
    const [{ data: sub }, ledger] = await Promise.all([
      ctx.api.call(ROUTES.getSubscription, { params: orgParams(org) }),
      ctx.api.list(ROUTES.listPayments, { params: orgParams(org) }, cap),
    ]);
    if (ctx.json) {
      printJson(ctx.io, { organizationId: org.id, ...sub, ledger: ledger.items });
      return 0;
    }
    ctx.io.out(`${orgLabel(org)}: ${sub.creditBalance} credit${sub.creditBalance === 1 ? '' : 's'} · plan ${sub.plan} (${sub.includedCredits} included) · ${sub.seats} seats\n`);
    if (ledger.items.length === 0) return 0;
    if (ctx.io.stdoutIsTTY) ctx.io.out('\n');
    printTable(
      ctx.io,
      ['DATE', 'KIND', 'AMOUNT', 'BALANCE', 'DESCRIPTION', 'ID'],
      ledger.items.map((e) => [formatDate(e.createdAt), e.kind, signed(e.amount), String(e.balanceAfter), e.description, e.id]),
    );
    noteMore(ctx.io, ledger.items.length, ledger.more);
    return 0;
  });
}
