import type { CommandSpec } from '../spec.js';

export const specs: CommandSpec[] = [
  {
    name: 'teams',
    description: "an organization's teams",
    subcommands: [
      {
        name: 'list',
        description: 'list teams, oldest first',
        org: true,
        list: true,
        examples: ['acct teams list', 'acct teams list --org acme --paginate --json'],
        run: { name: 'teams list', load: () => import('./list.js'), options: () => ({}) },
      },
    ],
  },
];
