import type { CommandSpec } from '../spec.js';

export const specs: CommandSpec[] = [
  {
    name: 'credits',
    description: "an organization's credits: balance, ledger, top-ups",
    subcommands: [
      {
        name: 'show',
        isDefault: true,
        description: 'the balance, plan and seats, then the ledger, newest first (the default)',
        org: true,
        list: true,
        examples: ['acct credits', 'acct credits --org acme --paginate --json'],
        run: { name: 'credits show', load: () => import('./show.js'), options: () => ({}) },
      },
      {
        name: 'top-up',
        description: 'add credits (safe to retry with the same --idempotency-key)',
        org: true,
        arguments: [{ name: '<amount>', description: 'whole credits, 1 to 1000000' }],
        options: [
          { flags: '--description <text>', description: 'what the top-up is for' },
          { flags: '--idempotency-key <key>', description: 'reuse the key of an attempt whose outcome you did not see (default: a new UUID, printed)' },
        ],
        examples: ['acct credits top-up 500', 'acct credits top-up 500 --idempotency-key 4f1c…  # a retry: credits at most once'],
        run: { name: 'credits top-up', load: () => import('./top-up.js'), options: (amount: string, o) => ({ amount, description: o.description, idempotencyKey: o.idempotencyKey }) },
      },
    ],
  },
];
