// test-dialects: sqlite — the CLI (its flags, output, keychain, exit codes); the server API it calls is covered on PostgreSQL by the server suites
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { email, PASSWORD, startServer, type RunningServer } from '../../server/test/harness.js';
import { acct, tempHome, type Home, type Result } from './helpers.js';

// gh parity through the built CLI against the real server (issue 12): --jq, --json a,b,
// --limit / --paginate, call --input. No keychain needed: the session cookie is the credential.
let server: RunningServer;
let home: Home;
const run = (args: string[], input?: string): Promise<Result> => acct(args, home.env, input);
async function ok(args: string[], input?: string): Promise<string> {
  const r = await run(args, input);
  expect(r.code, `acct ${args.join(' ')}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

beforeAll(async () => {
  server = await startServer();
  home = tempHome({ ACCT_HOST: server.url });
  const address = email('parity');
  await ok(['signup', '--email', address, '--name', 'Parity Person', '--password-stdin'], `${PASSWORD}\n`);
  await ok(['login', '--email', address, '--password-stdin'], `${PASSWORD}\n`);
  // Oldest first: list answers come newest first.
  await ok(['keys', 'create', '--name', 'reader', '--scope', 'user:read']);
  await ok(['keys', 'create', '--name', 'deployer', '--scope', 'projects:write', '--scope', 'projects:read']);
  await ok(['keys', 'create', '--name', 'auditor', '--scope', 'user:read', '--scope', 'organizations:read']);
});
afterAll(async () => {
  await server?.stop();
});

describe('--jq with gh api-style expressions', () => {
  it('.[].name prints each name raw, one a line', async () => {
    expect(await ok(['keys', 'list', '--jq', '.[].name'])).toBe('auditor\ndeployer\nreader\n');
  });

  it('select on a call body: the ids of the keys with user:read', async () => {
    const ids = (await ok(['call', '/api/auth/api-key/list', '-q', '.data[] | select(.scopes | index("user:read")) | .name'])).trim().split('\n');
    expect(ids).toEqual(['auditor', 'reader']);
  });

  it('map(.id) | length, an object constructor, and @tsv', async () => {
    expect(await ok(['keys', 'list', '--jq', 'map(.id) | length'])).toBe('3\n');
    const first = JSON.parse(await ok(['keys', 'list', '--jq', '.[0] | {id, name}']));
    expect(Object.keys(first)).toEqual(['id', 'name']);
    expect(first.name).toBe('auditor');
    expect(await ok(['keys', 'list', '--jq', '.[] | [.name, .status] | @tsv'])).toBe('auditor\tactive\ndeployer\tactive\nreader\tactive\n');
  });

  it('a wrong expression is exit 2 with jq\'s message on stderr and nothing on stdout', async () => {
    const r = await run(['keys', 'list', '--jq', '.[] | select(']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('syntax error');
  });

  it('a failed request keeps its exit code and prints the error body unfiltered', async () => {
    const r = await run(['call', '/api/no/such/route', '--jq', '.data']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ success: false, code: 'NOT_FOUND' });
  });
});

describe('--json a,b selects fields as gh does', () => {
  it('each key keeps only id and name; a bare --json keeps every field', async () => {
    const picked = JSON.parse(await ok(['keys', 'list', '--json', 'id,name']));
    expect(picked).toHaveLength(3);
    for (const k of picked) expect(Object.keys(k).sort()).toEqual(['id', 'name']);
    const whole = JSON.parse(await ok(['keys', 'list', '--json']));
    expect(Object.keys(whole[0])).toEqual(expect.arrayContaining(['id', 'name', 'scopes', 'status']));
  });

  it('an unknown field is exit 2 naming the available ones', async () => {
    const r = await run(['orgs', 'list', '--json', 'id,colour']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown JSON field: colour');
    expect(r.stderr).toMatch(/available fields: .*slug/);
  });
});

describe('--limit N and --paginate on every list', () => {
  it('keys list --limit 2 shows the newest two; --paginate shows all', async () => {
    expect(await ok(['keys', 'list', '--limit', '2', '--jq', '.[].name'])).toBe('auditor\ndeployer\n');
    expect(await ok(['keys', 'list', '--paginate', '--jq', 'length'])).toBe('3\n');
  });

  it('orgs list --limit 1 and --paginate; --limit with --paginate is exit 2', async () => {
    await ok(['orgs', 'create', 'Second Org']);
    expect(await ok(['orgs', 'list', '--paginate', '--jq', 'length'])).toBe('2\n');
    expect(await ok(['orgs', 'list', '--limit', '1', '--jq', 'length'])).toBe('1\n');
    const both = await run(['orgs', 'list', '--limit', '1', '--paginate']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('cannot be combined');
  });

  it('teams list --limit 2 shows the oldest two; --paginate shows all; the table names them', async () => {
    const org = (await ok(['orgs', 'list', '--jq', '.[0].id'])).trim();
    for (const name of ['Alpha', 'Beta', 'Gamma']) await ok(['call', `/api/user/organizations/${org}/teams`, '-f', `name=${name}`]);
    expect(await ok(['teams', 'list', '--org', org, '--limit', '2', '--jq', '.[].name'])).toBe('Alpha\nBeta\n');
    expect(await ok(['teams', 'list', '--org', org, '--paginate', '--jq', 'length'])).toBe('3\n');
    // Piped, the table is tab-separated rows without a header (as gh's): id, name, slug, created.
    const rows = (await ok(['teams', 'list', '--org', org])).trim().split('\n').map((l) => l.split('\t')[1]);
    expect(rows).toEqual(['Alpha', 'Beta', 'Gamma']);
  });

});

describe('acct call --input FILE', () => {
  it('PATCH with the body from a file, then from stdin', async () => {
    const file = path.join(home.dir, 'profile.json');
    fs.writeFileSync(file, JSON.stringify({ name: 'Renamed From File' }));
    expect(await ok(['call', 'PATCH', '/api/user/me', '--input', file, '--jq', '.data.fullName // .data.name'])).toBe('Renamed From File\n');
    expect(await ok(['call', 'PATCH', '/api/user/me', '--input', '-', '--jq', '.data.fullName // .data.name'], JSON.stringify({ name: 'Renamed From Stdin' }))).toBe('Renamed From Stdin\n');
  });
});
