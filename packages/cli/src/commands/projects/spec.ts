import type { CommandSpec } from '../spec.js';

export const specs: CommandSpec[] = [
  {
    name: 'projects',
    description: "an organization's projects",
    subcommands: [
      {
        name: 'list',
        description: 'list projects (oldest first)',
        org: true,
        list: true,
        options: [
          { flags: '--sort <key>', description: 'createdAt, -createdAt, name or -name (- is descending)' },
          { flags: '--name <text>', description: 'only projects whose name contains this, ignoring case' },
        ],
        examples: ['acct projects list', 'acct projects list --sort -createdAt --limit 5', 'acct projects list --name site --paginate --json'],
        run: { name: 'projects list', load: () => import('./list.js'), options: (o) => ({ sort: o.sort, name: o.name }) },
      },
      {
        name: 'create',
        description: 'create a project (costs credits)',
        org: true,
        options: [
          { flags: '--name <name>', description: 'project name' },
          { flags: '--description <text>', description: 'description' },
        ],
        examples: ['acct projects create --name Site', 'acct projects create --name Site --description "Our site" --org acme'],
        run: { name: 'projects create', load: () => import('./create.js'), options: (o) => ({ name: o.name, description: o.description }) },
      },
    ],
  },
];
