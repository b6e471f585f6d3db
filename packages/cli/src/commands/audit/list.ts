import { ROUTES } from '@acct/shared/routes';
import type { DataOf, audit } from '@acct/shared';
import type { Context } from '../../context.js';
import { parseDuration } from '../../lib/duration.js';
import { UsageError } from '../../lib/errors.js';
import { orgLabel, orgParams, resolveOrg } from '../../lib/org.js';
import { formatDate, printJson, printTable } from '../../lib/output.js';
import { listCap, noteMore, type ListFlags } from '../../lib/paginate.js';

type Entry = DataOf<typeof audit.listUserAuditLog>[number];

export interface AuditOptions extends ListFlags {
  org?: string;
  since?: string;
  action?: string;
  actor?: string;
}

/** `--since 7d` (that long ago) or an ISO time, as the server's `since` (ISO). */
export function sinceTime(text: string, now: Date): string {
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const at = Date.parse(text);
    if (Number.isNaN(at)) throw new UsageError(`--since: not a time: ${text}`);
    return new Date(at).toISOString();
  }
  return new Date(now.getTime() - parseDuration(text) * 1000).toISOString();
}

function actorText(e: Entry): string {
  if (e.actor.type === 'anonymous') return '-';
  return `${e.actor.type === 'user' ? '' : `${e.actor.type}:`}${e.actor.id ?? '?'}${e.actor.credentialKind ? ` (${e.actor.credentialKind})` : ''}`;
}

/** `acct audit`: the organization's log with --org, else the caller's own security events; newest first. */
export async function run(ctx: Context, opts: AuditOptions): Promise<number> {
  const query = { since: opts.since ? sinceTime(opts.since, ctx.clock.now()) : undefined, action: opts.action, actor: opts.actor };
  const cap = listCap(opts);
  const org = opts.org !== undefined ? await resolveOrg(ctx, opts.org) : null;
  const { items, more } = org
    ? await ctx.api.list(ROUTES.listOrganizationAuditLog, { params: orgParams(org), query }, cap)
    : await ctx.api.list(ROUTES.listUserAuditLog, { query }, cap);
  if (ctx.json) printJson(ctx.io, items);
  else if (items.length === 0) ctx.io.err(`No audit entries${org ? ` in ${orgLabel(org)}` : ''} match\n`);
  else {
    printTable(
      ctx.io,
      ['TIME', 'ACTION', 'OUTCOME', 'ACTOR', 'TARGET', 'IP'],
      items.map((e) => [formatDate(e.createdAt), e.action, e.outcome, actorText(e), e.target ? `${e.target.type}:${e.target.id}` : '-', e.ip ?? '-']),
    );
    noteMore(ctx.io, items.length, more);
  }
  return 0;
}
