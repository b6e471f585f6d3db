// test-dialects: sqlite — pure functions in process (role rules); no server, no database
// Who may change, remove or invite whom (members/role-rules.ts), in process: pure functions of
// the actor's role and the target's, so every pair of roles is checked here without a server.
// The last-owner rule needs the database and stays in members.test.ts.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ROOT } from './harness.js';

const { atLeast, roleChangeProblem, removalProblem, inviteProblem } = (await import(
  pathToFileURL(path.join(ROOT, 'packages/server/dist/members/role-rules.js')).href
)) as typeof import('../src/members/role-rules.js');

type Role = 'owner' | 'admin' | 'member';
const ROLES: Role[] = ['owner', 'admin', 'member'];
const RANK: Record<Role, number> = { owner: 3, admin: 2, member: 1 };

describe('role ranks', () => {
  it('orders owner above admin above member, each at least as high as itself', () => {
    for (const a of ROLES) for (const b of ROLES) expect(atLeast(a, b), `${a} ≥ ${b}`).toBe(RANK[a] >= RANK[b]);
    expect(atLeast('owner', 'member')).toBe(true);
    expect(atLeast('member', 'owner')).toBe(false);
    expect(atLeast('admin', 'admin')).toBe(true);
  });
});

describe('changing a role', () => {
  it('allows exactly the changes where the actor ranks at least as high as both the target and the new role', () => {
    for (const actor of ROLES) {
      for (const target of ROLES) {
        for (const next of ROLES) {
          const allowed = RANK[actor] >= RANK[target] && RANK[actor] >= RANK[next];
          expect(roleChangeProblem(actor, target, next) === null, `${actor} makes ${target} ${next}`).toBe(allowed);
        }
      }
    }
  });

  it('says why: a target above the actor first, then a role above the actor', () => {
    expect(roleChangeProblem('admin', 'owner', 'member')).toBe('As an admin you cannot change the role of an owner');
    expect(roleChangeProblem('member', 'admin', 'member')).toBe('As a member you cannot change the role of an admin');
    expect(roleChangeProblem('admin', 'member', 'owner')).toBe('Only owners can make someone an owner');
    expect(roleChangeProblem('member', 'member', 'admin')).toBe('As a member you cannot grant the role admin');
    // Both wrong: the target's rank is reported.
    expect(roleChangeProblem('member', 'owner', 'owner')).toBe('As a member you cannot change the role of an owner');
  });

  it('lets an owner demote another owner and an admin demote an admin (the last-owner rule is the database\'s)', () => {
    expect(roleChangeProblem('owner', 'owner', 'member')).toBeNull();
    expect(roleChangeProblem('admin', 'admin', 'member')).toBeNull();
    expect(roleChangeProblem('admin', 'member', 'admin')).toBeNull();
  });
});

describe('removing a member', () => {
  it('allows removing a member ranking no higher than the actor, with the reason otherwise', () => {
    for (const actor of ROLES) for (const target of ROLES) expect(removalProblem(actor, target) === null, `${actor} removes ${target}`).toBe(RANK[actor] >= RANK[target]);
    expect(removalProblem('admin', 'owner')).toBe('As an admin you cannot remove an owner');
    expect(removalProblem('member', 'admin')).toBe('As a member you cannot remove an admin');
    expect(removalProblem('member', 'member')).toBeNull();
  });
});

describe('inviting', () => {
  it('allows inviting with a role no higher than the inviter\'s, with the reason otherwise', () => {
    for (const actor of ROLES) for (const role of ROLES) expect(inviteProblem(actor, role) === null, `${actor} invites ${role}`).toBe(RANK[actor] >= RANK[role]);
    expect(inviteProblem('admin', 'owner')).toBe('Only owners can invite owners');
    expect(inviteProblem('member', 'owner')).toBe('Only owners can invite owners');
    expect(inviteProblem('member', 'admin')).toBe('As a member you cannot invite an admin');
    expect(inviteProblem('owner', 'owner')).toBeNull();
  });
});
