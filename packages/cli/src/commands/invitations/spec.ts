import type { CommandSpec } from '../spec.js';

export const specs: CommandSpec[] = [
  {
    name: 'invitations',
    description: 'invitations to your email address',
    subcommands: [
      {
        name: 'list',
        description: 'list pending invitations to your verified email address',
        list: true,
        run: { name: 'invitations list', load: () => import('./list.js'), options: () => ({}) },
      },
      {
        name: 'accept',
        description: 'join an organization you were invited to',
        arguments: [{ name: '<id|link>', description: 'the invitation id, or the link from the mail' }],
        options: [{ flags: '--token <token>', description: 'the token from the invitation mail (not needed once your address is verified)' }],
        examples: ['acct invitations accept 01HZX3…', 'acct invitations accept 01HZX3… --token bm_…', "acct invitations accept 'https://acct.example.com/api/invitations/01HZX3…?token=bm_…'"],
        // `--token` after `accept` is the invitation's; the global --token (a credential) goes before it.
        run: { name: 'invitations accept', load: () => import('./accept.js'), options: (invitation: string) => ({ invitation }), ownToken: true },
      },
    ],
  },
];
