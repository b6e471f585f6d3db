import type { CommandSpec } from '../spec.js';

export const specs: CommandSpec[] = [
  {
    name: 'audit',
    description: "read the audit log: an organization's (with --org) or your own",
    list: true,
    options: [
      { flags: '--org <id|slug>', description: "the organization's log (needs audit:read and an admin role); without it, your own security events" },
      { flags: '--since <when>', description: 'only entries since then: a duration ago (1h, 7d) or an ISO time' },
      { flags: '--action <action>', description: 'only this action (project.deleted) or family (project.*)' },
      { flags: '--actor <id>', description: 'only entries by this user, team or client id' },
    ],
    examples: ['acct audit', 'acct audit --org acme --since 7d --action api_key.*', "acct audit --org acme --action member.removed --jq '.[].actor.id'"],
    run: { name: 'audit', load: () => import('./list.js'), options: (o) => ({ org: o.org, since: o.since, action: o.action, actor: o.actor }) },
  },
];
