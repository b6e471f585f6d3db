import type { DataOf, keys } from '@acct/shared';
import type { Context } from '../../context.js';
import type { SavedToken } from '../../lib/config.js';
import { formatDate, printTable } from '../../lib/output.js';
import type { SecretStore } from '../../lib/secrets.js';
import { saveToken } from '../../lib/token-store.js';

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
 * Saves a freshly minted or rotated key for this host. The secret is shown only once, so when
 * saving fails it is never lost: it goes to stdout (with --json, the answer with `savedTo: null`),
 * the failure and what to do to stderr, and the result is null (the command exits 1).
 */
export async function saveNewKey(ctx: Context, store: SecretStore, data: NewKey, done: 'created' | 'rotated', json: object): Promise<SavedToken | null> {
  try {
    return await saveToken(ctx, store, data.key, { id: data.id, name: data.name, scopes: data.scopes, expiresAt: data.expiresAt, organizationId: data.organizationId });
  } catch (err) {
    ctx.io.out(ctx.json ? `${JSON.stringify({ ...json, savedTo: null }, null, 2)}\n` : `${data.key}\n`);
    const what = done === 'created' ? 'saving it' : 'saving its new secret';
    ctx.io.err(`acct: the key ${data.id} "${data.name}" was ${done}, but ${what} to ${store.description} failed: ${err instanceof Error ? err.message : String(err)}\n`);
    ctx.io.err(`acct: the key is printed above on stdout and will not be shown again: store it now, or revoke it with \`acct keys revoke ${data.id}\`\n`);
    return null;
  }
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
