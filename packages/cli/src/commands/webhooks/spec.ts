import type { CommandSpec } from '../spec.js';

const id = { name: '<id>', description: 'webhook id' };

export const specs: CommandSpec[] = [
  {
    name: 'webhooks',
    description: "an organization's webhook endpoints and their deliveries",
    subcommands: [
      {
        name: 'list',
        description: 'list webhook endpoints (never the secrets)',
        org: true,
        list: true,
        examples: ['acct webhooks list', "acct webhooks list --jq '.[] | select(.status == \"failing\") | .url'"],
        run: { name: 'webhooks list', load: () => import('./list.js'), options: () => ({}) },
      },
      {
        name: 'create',
        description: 'add an endpoint; its signing secret (whsec_…) is shown once',
        org: true,
        options: [
          { flags: '--url <url>', description: 'https URL that receives the events' },
          { flags: '--event <type>', description: 'an event type to send (repeat; at least one), e.g. project.created', repeat: true },
          { flags: '--description <text>', description: 'what the endpoint is for' },
        ],
        examples: ['acct webhooks create --url https://example.com/hooks/acct --event project.created --event member.removed', 'SECRET=$(acct webhooks create --url https://ci.example.com/hook --event api_key.leaked)'],
        run: { name: 'webhooks create', load: () => import('./create.js'), options: (o) => ({ url: o.url, events: o.event ?? [], description: o.description }) },
      },
      {
        name: 'delete',
        description: 'delete an endpoint and its pending deliveries',
        org: true,
        arguments: [id],
        run: { name: 'webhooks delete', load: () => import('./delete.js'), options: (id: string) => ({ id }) },
      },
      {
        name: 'rotate-secret',
        description: 'new signing secret, shown once; the old one keeps signing during the overlap',
        org: true,
        arguments: [id],
        options: [{ flags: '--overlap <duration>', description: 'how long the old secret signs too, e.g. 1h, 0s (default 24h)' }],
        examples: ['acct webhooks rotate-secret 01J… --overlap 1h'],
        run: { name: 'webhooks rotate-secret', load: () => import('./rotate-secret.js'), options: (id: string, o) => ({ id, overlap: o.overlap }) },
      },
      {
        name: 'test',
        description: 'send a webhook.test event to an endpoint',
        org: true,
        arguments: [id],
        run: { name: 'webhooks test', load: () => import('./test.js'), options: (id: string) => ({ id }) },
      },
      {
        name: 'deliveries',
        description: "an endpoint's deliveries, newest first, with status codes and timings",
        org: true,
        list: true,
        arguments: [id],
        options: [{ flags: '--status <status>', description: 'pending, delivered or failed' }],
        examples: ['acct webhooks deliveries 01J…', 'acct webhooks deliveries 01J… --status failed --json'],
        run: { name: 'webhooks deliveries', load: () => import('./deliveries.js'), options: (id: string, o) => ({ id, status: o.status }) },
      },
      {
        name: 'listen',
        description: 'forward events to a local URL while it runs (a temporary relay endpoint; Ctrl-C deletes it)',
        org: true,
        options: [
          { flags: '--forward-to <url>', description: 'local URL that receives each event, signed as a real endpoint would get it' },
          { flags: '--event <type>', description: 'an event type to forward (repeat; default: every type)', repeat: true },
        ],
        examples: [
          'acct webhooks listen --forward-to http://localhost:4000/hook',
          'acct webhooks listen --forward-to http://localhost:4000/hook --event project.created --event member.removed',
        ],
        run: { name: 'webhooks listen', load: () => import('./listen.js'), options: (o) => ({ forwardTo: o.forwardTo, events: o.event ?? [] }) },
      },
      {
        name: 'redeliver',
        description: 'send a delivery again (same webhook-id)',
        org: true,
        arguments: [id, { name: '<delivery-id>', description: 'delivery id' }],
        run: { name: 'webhooks redeliver', load: () => import('./redeliver.js'), options: (id: string, deliveryId: string) => ({ id, deliveryId }) },
      },
    ],
  },
];
