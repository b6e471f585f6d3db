import type { DataOf, keys } from '@acct/shared';
import type { Context } from '../../context.js';
import { formatDate, printTable } from '../../lib/output.js';

export type ApiKey = DataOf<typeof keys.listApiKeys>[number];

interface NewKey {
  id: string;
  name: string;
  key: string;
  scopes: string[];
  organizationId: string | null;
  expiresAt: string | null;
}

/**
 * A freshly minted or rotated key. When stdout is not a terminal only the key goes there, so
 * `KEY=$(acct keys create …)` works; everything for people goes to stderr.
 */
export function printNewKey(ctx: Context, data: NewKey, savedNote: string | null, verb = 'Created'): void {
  const { io } = ctx;
  if (!io.stdoutIsTTY) {
    io.out(`${data.key}\n`);
    io.err(`✓ Key ${data.id} "${data.name}" (${data.scopes.join(', ')}; expires ${formatDate(data.expiresAt, 'never')})\n`);
    if (savedNote) io.err(`${savedNote}\n`);
    return;
  }
  io.out(`✓ ${verb} key ${data.id} "${data.name}"\n`);
  io.out(`  Scopes:  ${data.scopes.join(', ')}\n`);
  if (data.organizationId) io.out(`  Pinned:  organization ${data.organizationId}\n`);
  io.out(`  Expires: ${formatDate(data.expiresAt, 'never')}\n\n`);
  io.out(`  ${data.key}\n\n`);
  io.out(savedNote ? `${savedNote}\n` : 'Copy it now: it will not be shown again.\n');
}

/** One key, as `keys get` shows it. */
export function printKey(ctx: Context, key: ApiKey & { events?: { kind: string; detail: string; createdAt: string }[] }): void {
  const rows: [string, string][] = [
    ['ID', key.id],
    ['Name', key.name],
    ['Start', `${key.start}…`],
    ['Status', key.status],
    ['Scopes', key.scopes.join(', ')],
    ['Organization', key.organizationId ?? '-'],
    ['Expires', formatDate(key.expiresAt, 'never')],
    ['Last used', formatDate(key.lastUsedAt, 'never')],
    ['Created', formatDate(key.createdAt)],
  ];
  if (key.rotatedAt) rows.push(['Rotated', formatDate(key.rotatedAt)]);
  if (key.revokedAt) rows.push(['Revoked', formatDate(key.revokedAt)]);
  for (const [k, v] of rows) ctx.io.out(`${`${k}:`.padEnd(14)}${v}\n`);
  if (key.events?.length) {
    ctx.io.out('\nHistory:\n');
    printTable(ctx.io, ['WHEN', 'EVENT', 'DETAIL'], key.events.map((e) => [formatDate(e.createdAt), e.kind, e.detail]));
  }
}
