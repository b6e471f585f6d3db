import type { CommandSpec } from '../spec.js';

export const specs: CommandSpec[] = [
  {
    name: 'orgs',
    description: 'organizations you belong to, and the current one for this host',
    subcommands: [
      {
        name: 'list',
        description: 'list your organizations and your role in each (* marks the current one)',
        list: true,
        examples: ['acct orgs list', 'acct orgs list --json id,slug', "acct orgs list --jq '.[].slug'"],
        run: { name: 'orgs list', load: () => import('./list.js'), options: () => ({}) },
      },
      {
        name: 'create',
        description: 'create an organization (you become its owner)',
        arguments: [{ name: '<name>', description: 'its name' }],
        options: [{ flags: '--slug <slug>', description: 'its slug, lower case letters, digits and dashes (default: made from the name)' }],
        examples: ['acct orgs create "Acme Inc"', 'acct orgs create "Acme Inc" --slug acme', 'ORG=$(acct orgs create Acme)'],
        run: { name: 'orgs create', load: () => import('./create.js'), options: (name: string, o) => ({ name, slug: o.slug }) },
      },
      {
        name: 'switch',
        description: 'choose the organization commands use on this host without --org',
        arguments: [{ name: '[id|slug]', description: 'the organization' }],
        options: [{ flags: '--unset', description: 'forget the current organization for this host' }],
        examples: ['acct orgs switch acme', 'acct orgs switch 01HZX3…', 'acct orgs switch --unset'],
        run: { name: 'orgs switch', load: () => import('./switch.js'), options: (org: string | undefined, o) => ({ org, unset: Boolean(o.unset) }) },
      },
    ],
  },
];
