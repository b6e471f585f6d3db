// test-dialects: sqlite — the CLI (its flags, output, keychain, exit codes); the server API it calls is covered on PostgreSQL by the server suites
import { describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { COMMAND_WORDS, createProgram, groupsFor, main, type Runner } from '../src/program.js';

/** Parses argv with a runner that records instead of running (gh's "argv → options" tables). */
async function parse(argv: string[]) {
  const calls: { name: string; opts: any; globals: any }[] = [];
  const runner: Runner = async (name, _load, opts, globals) => {
    calls.push({ name, opts, globals });
    return 0;
  };
  const stderr: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((s: string) => (stderr.push(String(s)), true)) as typeof process.stderr.write;
  const stdout = process.stdout.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    const code = await main(argv, runner);
    return { code, call: calls[0], stderr: stderr.join('') };
  } finally {
    process.stderr.write = write;
    process.stdout.write = stdout;
  }
}

describe('argv → command and options', () => {
  const table: [string[], string, object][] = [
    [['signup'], 'signup', { passwordStdin: false }],
    [['signup', '--email', 'a@example.com', '--name', 'A B', '--password-stdin'], 'signup', { email: 'a@example.com', name: 'A B', passwordStdin: true }],
    [['login'], 'login', { passwordStdin: false, withToken: false, insecureStorage: false }],
    [['login', '--with-token', '--insecure-storage'], 'login', { withToken: true, insecureStorage: true }],
    [['auth', 'login', '--email', 'a@example.com', '--password-stdin'], 'login', { email: 'a@example.com', passwordStdin: true }],
    [['logout', '--forget-token'], 'logout', { forgetToken: true }],
    [['whoami'], 'whoami', {}],
    [['auth', 'status'], 'auth status', {}],
    [
      ['keys', 'create', '--name', 'CI deploy bot', '--scope', 'user:read', '--scope', 'projects:read', '--expires', '30d', '--save'],
      'keys create',
      { name: 'CI deploy bot', scopes: ['user:read', 'projects:read'], expires: '30d', save: true, insecureStorage: false },
    ],
    [['keys', 'create', '--name', 'x', '--scope', 'user:read', '--org', 'org_1'], 'keys create', { org: 'org_1', scopes: ['user:read'], save: false }],
    [['keys', 'create', '--name', 'x'], 'keys create', { scopes: [] }],
    [['keys', 'list'], 'keys list', {}],
    [['keys', 'get', 'ak_1'], 'keys get', { id: 'ak_1' }],
    [['keys', 'update', 'ak_1', '--name', 'n', '--disable'], 'keys update', { id: 'ak_1', name: 'n', enable: false, disable: true }],
    [['keys', 'update', 'ak_1', '--scope', 'user:read'], 'keys update', { id: 'ak_1', scopes: ['user:read'] }],
    [['keys', 'revoke', 'ak_1'], 'keys revoke', { id: 'ak_1' }],
    [['keys', 'delete', 'ak_1'], 'keys revoke', { id: 'ak_1' }],
    [['keys', 'rotate', 'ak_1', '--grace', '1h', '--save'], 'keys rotate', { id: 'ak_1', grace: '1h', save: true }],
    [['orgs', 'list'], 'orgs list', {}],
    [['orgs', 'create', 'Acme Inc'], 'orgs create', { name: 'Acme Inc', slug: undefined }],
    [['orgs', 'create', 'Acme Inc', '--slug', 'acme'], 'orgs create', { name: 'Acme Inc', slug: 'acme' }],
    [['orgs', 'switch', 'acme'], 'orgs switch', { org: 'acme', unset: false }],
    [['orgs', 'switch', '--unset'], 'orgs switch', { org: undefined, unset: true }],
    [['members', 'list'], 'members list', { org: undefined, paginate: false }],
    [['members', 'list', '--org', 'acme', '--limit', '5'], 'members list', { org: 'acme', limit: '5', paginate: false }],
    [['members', 'list', '--paginate'], 'members list', { paginate: true }],
    [['members', 'invite', 'ana@example.com'], 'members invite', { email: 'ana@example.com', role: 'member' }],
    [['members', 'invite', 'ana@example.com', '--role', 'admin', '--org', 'o1'], 'members invite', { email: 'ana@example.com', role: 'admin', org: 'o1' }],
    [['members', 'remove', 'ana@example.com'], 'members remove', { member: 'ana@example.com' }],
    [['members', 'remove', 'u_1', '--org', 'acme'], 'members remove', { member: 'u_1', org: 'acme' }],
    [['invitations', 'list'], 'invitations list', {}],
    [['invitations', 'accept', 'inv_1'], 'invitations accept', { invitation: 'inv_1', token: undefined }],
    [['invitations', 'accept', 'inv_1', '--token', 'bm_x'], 'invitations accept', { invitation: 'inv_1', token: 'bm_x' }],
    [['invitations', 'accept', '--token=bm_x', 'inv_1'], 'invitations accept', { invitation: 'inv_1', token: 'bm_x' }],
    [['projects', 'list', '--org', 'o1'], 'projects list', { org: 'o1', paginate: false }],
    [['projects', 'list', '--sort', '-name', '--name', 'site', '-L', '5'], 'projects list', { sort: '-name', name: 'site', limit: '5', paginate: false }],
    [['projects', 'list', '--paginate'], 'projects list', { paginate: true }],
    [['projects', 'create', '--name', 'Site', '--description', 'd'], 'projects create', { name: 'Site', description: 'd' }],
    [['credits'], 'credits show', { org: undefined, paginate: false }],
    [['credits', '--org', 'acme', '--limit', '10'], 'credits show', { org: 'acme', limit: '10' }],
    [['credits', 'show', '--paginate'], 'credits show', { paginate: true }],
    [['credits', 'top-up', '500'], 'credits top-up', { amount: '500', description: undefined, idempotencyKey: undefined }],
    [
      ['credits', 'top-up', '500', '--description', 'May budget', '--idempotency-key', 'k-1', '--org', 'acme'],
      'credits top-up',
      { amount: '500', description: 'May budget', idempotencyKey: 'k-1', org: 'acme' },
    ],
    [['call', '/api/user/me'], 'call', { path: '/api/user/me', rawFields: [], fields: [], headers: [], include: false, paginate: false }],
    [['call', 'DELETE', '/api/x'], 'call', { method: 'DELETE', path: '/api/x' }],
    [['call', '-X', 'PATCH', '/api/user/me', '-f', 'name=A'], 'call', { method: 'PATCH', path: '/api/user/me', rawFields: ['name=A'] }],
    [
      ['call', '/api/x', '-F', 'n=1', '-F', 'a[b]=true', '-H', 'X-One: 1', '-H', 'X-Two: 2', '-i', '--paginate', '-d', '@body.json'],
      'call',
      { fields: ['n=1', 'a[b]=true'], headers: ['X-One: 1', 'X-Two: 2'], include: true, paginate: true, data: '@body.json' },
    ],
    [['completion', 'bash'], 'completion', { shell: 'bash' }],
  ];
  it.each(table)('%j runs %s', async (argv, name, expected) => {
    const { code, call } = await parse(argv);
    expect(code).toBe(0);
    expect(call?.name).toBe(name);
    expect(call?.opts).toMatchObject(expected);
  });

  it("invitations accept: --token after the command is the invitation's, before it the credential", async () => {
    const after = await parse(['invitations', 'accept', 'inv_1', '--token', 'bm_invite']);
    expect(after.call?.opts).toMatchObject({ token: 'bm_invite' });
    expect(after.call?.globals.token).toBeUndefined();
    const both = await parse(['--token', 'ba_cred', 'invitations', 'accept', 'inv_1', '--token', 'bm_invite']);
    expect(both.call?.opts).toMatchObject({ token: 'bm_invite' });
    expect(both.call?.globals.token).toBe('ba_cred');
    const before = await parse(['--token', 'ba_cred', 'invitations', 'accept', 'inv_1']);
    expect(before.call?.opts.token).toBeUndefined();
    expect(before.call?.globals.token).toBe('ba_cred');
  });

  it('passes global flags before or after the command', async () => {
    const { call } = await parse(['--host', 'https://acct.example.com', 'call', '/api/user/me', '--json', '--verbose', '--retries', '5', '--insecure-http']);
    expect(call?.globals).toMatchObject({ host: 'https://acct.example.com', json: true, verbose: true, retries: '5', insecureHttp: true });
  });

  const usage: string[][] = [
    ['nope'], ['keys', 'create', '--bogus'], ['keys', 'get'], ['call', '-d'], ['--host'],
    ['orgs', 'create'], ['members', 'invite'], ['members', 'remove'], ['invitations', 'accept'], ['credits', 'top-up'], ['projects', 'list', '--limit'],
  ];
  it.each(usage)('%j is a usage error (exit 2) that runs nothing', async (...argv) => {
    const { code, call, stderr } = await parse(argv);
    expect(code).toBe(2);
    expect(call).toBeUndefined();
    expect(stderr).toMatch(/error/);
  });

  it('--version and --help exit 0 without running a command', async () => {
    for (const argv of [['--version'], ['--help'], ['keys', '--help'], ['call', '--help'], ['orgs', 'switch', '--help'], ['credits', 'top-up', '--help']]) {
      const { code, call } = await parse(argv);
      expect(code).toBe(0);
      expect(call).toBeUndefined();
    }
  });
});

describe('only the specs an invocation needs', () => {
  const words = (cmd: Command): string[] => cmd.commands.flatMap((c) => [c.name(), ...c.aliases(), ...words(c)]);

  it('the command words known without loading the specs are exactly those of the whole tree', async () => {
    expect([...COMMAND_WORDS].sort()).toEqual([...new Set(words(await createProgram()))].sort());
  });

  it('a plainly named command loads its own group; help, completion, unknown or mixed command lines load all', async () => {
    const all = (await createProgram()).commands.length;
    const count = async (argv: string[]) => (await createProgram(undefined, undefined, argv)).commands.map((c) => c.name());
    expect(await count(['call', '/api/user/me'])).toEqual(['call']);
    expect(await count(['--host', 'https://x', '--token', 'keys', '--json', 'call', '/api/user/me', '--jq', '.data'])).toEqual(['call']);
    expect(await count(['keys', 'list', '--json', 'id,name'])).toEqual(['keys']);
    expect(await count(['--version'])).toEqual([]);
    expect(await count(['mcp'])).toEqual(['mcp']);
    expect(await count(['auth', 'status'])).toEqual(['signup', 'login', 'logout', 'whoami', 'auth']);
    for (const argv of [[], ['--help'], ['help', 'call'], ['completion', 'bash'], ['nope'], ['--bogus', 'call'], ['--json', 'id,name', 'call'], ['orgs', 'create', 'keys'], ['--', 'call'], ['--host']]) {
      expect(await count(argv), JSON.stringify(argv)).toHaveLength(all);
      expect(groupsFor(argv)).toHaveLength(14);
    }
  });
});
