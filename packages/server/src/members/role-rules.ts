import type { Role } from '@acct/shared';

const RANK: Record<Role, number> = { owner: 3, admin: 2, member: 1 };

/** `an owner`, `an admin`, `a member`: for messages. */
function article(role: Role): string {
  return role === 'member' ? 'a member' : `an ${role}`;
}

/** True when `a` ranks at least as high as `b` (owner > admin > member). */
export function atLeast(a: Role, b: Role): boolean {
  return RANK[a] >= RANK[b];
}

/**
 * Why an actor may not give `target` the role `next` (null when it may). An actor only acts
 * on members ranking no higher than itself and grants no role above its own, so only owners
 * grant owner and an admin cannot promote past itself. The last-owner rule needs the database
 * and is enforced by the write itself.
 */
export function roleChangeProblem(actor: Role, target: Role, next: Role): string | null {
  if (!atLeast(actor, target)) return `As ${article(actor)} you cannot change the role of ${article(target)}`;
  if (!atLeast(actor, next)) return next === 'owner' ? 'Only owners can make someone an owner' : `As ${article(actor)} you cannot grant the role ${next}`;
  return null;
}

/** Why an actor may not remove a member with role `target` (null when it may). */
export function removalProblem(actor: Role, target: Role): string | null {
  return atLeast(actor, target) ? null : `As ${article(actor)} you cannot remove ${article(target)}`;
}

/** Why an actor may not invite with `role` (SECURITY: role ≤ the inviter's). */
export function inviteProblem(actor: Role, role: Role): string | null {
  if (atLeast(actor, role)) return null;
  return role === 'owner' ? 'Only owners can invite owners' : `As ${article(actor)} you cannot invite ${article(role)}`;
}
