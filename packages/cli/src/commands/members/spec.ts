import type { CommandSpec } from '../spec.js';

export const specs: CommandSpec[] = [
  {
    name: 'members',
    description: "an organization's members",
    subcommands: [
      {
        name: 'list',
        description: 'list members and their roles',
        org: true,
        list: true,
        examples: ['acct members list', 'acct members list --org acme --paginate --json'],
        run: { name: 'members list', load: () => import('./list.js'), options: () => ({}) },
      },
      {
        name: 'invite',
        description: 'invite someone by email (mails a single-use link, valid 7 days)',
        org: true,
        arguments: [{ name: '<email>', description: 'their email address' }],
        options: [{ flags: '--role <role>', description: 'member, admin or owner (no higher than yours)', default: 'member' }],
        examples: ['acct members invite ana@example.com', 'acct members invite ana@example.com --role admin --org acme'],
        run: { name: 'members invite', load: () => import('./invite.js'), options: (email: string, o) => ({ email, role: o.role }) },
      },
      {
        name: 'remove',
        description: 'remove a member (their keys stop working for the organization at once)',
        org: true,
        arguments: [{ name: '<user-id|email>', description: 'the member' }],
        examples: ['acct members remove ana@example.com', 'acct members remove 01HZX3…'],
        run: { name: 'members remove', load: () => import('./remove.js'), options: (member: string) => ({ member }) },
      },
    ],
  },
];
