import type { CommandSpec } from '../spec.js';

/** Connected apps: the OAuth grants you gave third-party apps (and `acct login --web`). */
export const specs: CommandSpec[] = [
  {
    name: 'apps',
    description: 'list and disconnect the apps you let use your account (OAuth grants)',
    subcommands: [
      {
        name: 'list',
        description: 'the apps connected to your account: client, scopes, organization, last use',
        list: true,
        examples: ['acct apps list', 'acct apps list --json'],
        run: { name: 'apps list', load: () => import('./list.js'), options: () => ({}) },
      },
      {
        name: 'revoke',
        description: 'disconnect an app: every token it holds stops at once',
        arguments: [{ name: '<id>', description: 'the grant id (og_…) from `acct apps list`' }],
        examples: ['acct apps revoke og_01J…'],
        run: { name: 'apps revoke', load: () => import('./revoke.js'), options: (id: string) => ({ id }) },
      },
    ],
  },
];
