import type { Kysely } from 'kysely';
import { users } from '@acct/shared';

const { checkEmail } = users;

/** What migration 0004 found among the stored addresses. */
export interface EmailAudit {
  /** Accounts whose stored address normalises to the same one: user ids, oldest first. */
  collisions: { userIds: string[] }[];
  /** Accounts whose stored address the rules now refuse (invisible characters, trailing dot…). */
  refused: { userId: string; reason: string }[];
  /** Accounts whose stored address was rewritten to its normal form (no other account has it). */
  rewritten: number;
}

type Db = Kysely<any>;

/**
 * Groups the stored addresses by their normal form (`users.checkEmail` of @acct/shared). Reads ids and
 * addresses only; reports user ids, never addresses (the log is no place for them).
 */
export async function auditEmails(db: Db): Promise<Omit<EmailAudit, 'rewritten'> & { renames: { userId: string; email: string }[] }> {
  const rows = (await db.selectFrom('users').select(['id', 'email']).orderBy('created_at').orderBy('id').execute()) as { id: string; email: string }[];
  const groups = new Map<string, { id: string; email: string }[]>();
  const refused: EmailAudit['refused'] = [];
  for (const row of rows) {
    const verdict = checkEmail(row.email);
    if (!verdict.ok) {
      refused.push({ userId: row.id, reason: verdict.reason });
      continue;
    }
    const group = groups.get(verdict.email) ?? [];
    group.push(row);
    groups.set(verdict.email, group);
  }
  const collisions: EmailAudit['collisions'] = [];
  const renames: { userId: string; email: string }[] = [];
  for (const [normal, group] of groups) {
    if (group.length > 1) collisions.push({ userIds: group.map((r) => r.id) });
    else if (group[0]!.email !== normal) renames.push({ userId: group[0]!.id, email: normal });
  }
  return { collisions, refused, renames };
}

/**
 * Emails are now NFKC-normalised with an IDNA domain (SECURITY "Identifiers"). Stored addresses
 * whose normal form no other account has are rewritten to it, so their owners still sign in.
 * Look-alike accounts (several addresses, one normal form) are NOT merged and left as they are,
 * nor are addresses the rules now refuse: both are reported (a warning line at migration time,
 * and `acct-server doctor`) for an operator to decide. Pending invitations are rewritten too.
 */
export async function up(db: Db): Promise<void> {
  const { collisions, refused, renames } = await auditEmails(db);
  const now = new Date().toISOString();
  for (const rename of renames) {
    await db.updateTable('users').set({ email: rename.email, updated_at: now }).where('id', '=', rename.userId).execute();
  }
  const invitations = (await db.selectFrom('invitations').select(['id', 'email']).where('accepted_at', 'is', null).where('revoked_at', 'is', null).execute()) as { id: string; email: string }[];
  for (const invitation of invitations) {
    const verdict = checkEmail(invitation.email);
    if (verdict.ok && verdict.email !== invitation.email) await db.updateTable('invitations').set({ email: verdict.email }).where('id', '=', invitation.id).execute();
  }
  if (collisions.length || refused.length) {
    // Migrations run before the server's logger exists: one JSON line in the logger's shape.
    process.stderr.write(`${JSON.stringify({
      level: 40, time: now, service: 'acct', migration: '0004_email_identity', collisions, refused,
      msg: `email normalisation: ${collisions.length} group(s) of look-alike accounts and ${refused.length} refused address(es) left unchanged, not merged; see acct-server doctor`,
    })}\n`);
  }
}

export async function down(): Promise<void> {
  // Normal forms cannot be turned back into what was typed; nothing to undo structurally.
}
