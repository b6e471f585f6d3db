import type { CommandSpec } from '../spec.js';

export const specs: CommandSpec[] = [
  {
    name: 'call',
    description: 'make any API request, like `gh api`',
    arguments: [
      { name: '[method]', description: 'HTTP method (default: GET, or POST with a body or fields)' },
      { name: '[path]', description: 'path on the host, e.g. /api/user/me' },
    ],
    options: [
      { flags: '-X, --method <method>', description: 'HTTP method' },
      { flags: '-d, --data <json>', description: 'request body: JSON text, @file, or - for stdin' },
      { flags: '--input <file>', description: 'send this file as the body (- for stdin); fields then go to the query string (as gh api --input)' },
      { flags: '-f, --raw-field <key=value>', description: 'string field (repeat)', repeat: true },
      { flags: '-F, --field <key=value>', description: 'typed field: numbers, true/false/null, @file; key[sub]= nests (repeat)', repeat: true },
      { flags: '-H, --header <header>', description: "extra header 'Name: value' (repeat)", repeat: true },
      { flags: '-i, --include', description: 'print the status line and headers' },
      { flags: '--paginate', description: 'follow Link rel="next" and merge the data arrays' },
    ],
    examples: [
      'acct call /api/user/me',
      'acct call /api/user/organizations --paginate',
      'acct call POST /api/user/organizations -f name="Acme"',
      'acct call /api/user/organizations/$ORG/projects -F name=Site -F description="Our site"',
      "acct call PATCH /api/user/me -d '{\"name\":\"New Name\"}'",
      'ACCT_TOKEN=ba_… acct call -i /api/user/me',
      'acct call PATCH /api/user/me --input profile.json',
      "acct call /api/auth/api-key/list --paginate --jq '.data[].id'",
    ],
    run: {
      name: 'call',
      load: () => import('./call.js'),
      options: (a: string | undefined, b: string | undefined, o) => ({
        ...(b === undefined ? { path: a } : { method: a, path: b }),
        ...(o.method ? { method: o.method } : {}),
        data: o.data,
        ...(o.input !== undefined ? { input: o.input } : {}),
        rawFields: o.rawField ?? [],
        fields: o.field ?? [],
        headers: o.header ?? [],
        include: Boolean(o.include),
        paginate: Boolean(o.paginate),
      }),
    },
  },
];
