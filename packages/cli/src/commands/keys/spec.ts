import type { CommandSpec } from '../spec.js';

const id = { name: '<id>', description: 'key id (ak_…)' };

export const specs: CommandSpec[] = [
  {
    name: 'keys',
    description: 'manage personal access tokens',
    subcommands: [
      {
        name: 'create',
        description: 'mint a personal access token (shown once)',
        options: [
          { flags: '--name <name>', description: 'what the key is for' },
          { flags: '--scope <scope>', description: 'a scope it may use (repeat; at least one)', repeat: true },
          { flags: '--expires <duration>', description: 'lifetime, e.g. 30d, 12h, 1y (default: no expiry)' },
          { flags: '--org <id>', description: 'pin the key to one organization' },
          { flags: '--save', description: 'save it to the keychain for this host' },
          { flags: '--insecure-storage', description: 'with --save and no keychain, use a 0600 file' },
        ],
        examples: ['acct keys create --name "CI deploy bot" --scope user:read --scope projects:read --expires 30d --save', 'KEY=$(acct keys create --name deploy --scope projects:write --org 01HZ…)'],
        run: {
          name: 'keys create',
          load: () => import('./create.js'),
          options: (o) => ({ name: o.name, scopes: o.scope ?? [], expires: o.expires, org: o.org, save: Boolean(o.save), insecureStorage: Boolean(o.insecureStorage) }),
        },
      },
      {
        name: 'list',
        description: 'list your keys, newest first (never the secrets)',
        list: true,
        examples: ['acct keys list', 'acct keys list --limit 5', "acct keys list --paginate --jq '.[] | select(.status == \"active\") | .id'"],
        run: { name: 'keys list', load: () => import('./list.js'), options: () => ({}) },
      },
      {
        name: 'get',
        description: 'show one key',
        arguments: [id],
        run: { name: 'keys get', load: () => import('./get.js'), options: (id: string) => ({ id }) },
      },
      {
        name: 'update',
        description: "change a key's name, scopes or enabled state",
        arguments: [id],
        options: [
          { flags: '--name <name>', description: 'new name' },
          { flags: '--scope <scope>', description: 'replace the scopes (repeat)', repeat: true },
          { flags: '--enable', description: 'enable the key' },
          { flags: '--disable', description: 'disable the key (it stops working until enabled)' },
        ],
        examples: ['acct keys update ak_123 --name "nightly"', 'acct keys update ak_123 --scope user:read --scope projects:read', 'acct keys update ak_123 --disable'],
        run: {
          name: 'keys update',
          load: () => import('./update.js'),
          options: (id: string, o) => ({ id, name: o.name, scopes: o.scope, enable: Boolean(o.enable), disable: Boolean(o.disable) }),
        },
      },
      {
        name: 'revoke',
        alias: 'delete',
        description: 'revoke a key: it stops working on the next request',
        arguments: [id],
        run: { name: 'keys revoke', load: () => import('./revoke.js'), options: (id: string) => ({ id }) },
      },
      {
        name: 'rotate',
        description: 'replace a key with a new secret (the old one stops working)',
        arguments: [id],
        options: [
          { flags: '--grace <duration>', description: 'keep the old secret working this long, e.g. 1h (default: it stops now)' },
          { flags: '--save', description: 'save the new key to the keychain for this host' },
          { flags: '--insecure-storage', description: 'with --save and no keychain, use a 0600 file' },
        ],
        run: {
          name: 'keys rotate',
          load: () => import('./rotate.js'),
          options: (id: string, o) => ({ id, grace: o.grace, save: Boolean(o.save), insecureStorage: Boolean(o.insecureStorage) }),
        },
      },
    ],
  },
];
