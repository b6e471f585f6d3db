// test-dialects: sqlite — the CLI (its flags, output, keychain, exit codes); the server API it calls is covered on PostgreSQL by the server suites
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { run as call, type CallOptions } from '../src/commands/call/call.js';
import { run as invitationsList } from '../src/commands/invitations/list.js';
import { run as keysList } from '../src/commands/keys/list.js';
import { run as orgsList } from '../src/commands/orgs/list.js';
import { reportError } from '../src/lib/errors.js';
import { printFiltered, selectFields } from '../src/lib/output.js';
import { expandJsonFields, main, type Runner } from '../src/program.js';
import { fake, fakeIO, ok, type Fake } from './helpers.js';

// gh parity (issue 12): --jq / -q, --json a,b, --limit / --paginate on every list, call --input.

async function exec(f: Fake, run: (ctx: any, opts: any) => Promise<number>, opts: object = {}): Promise<number> {
  try {
    return await run(f.ctx, opts);
  } catch (err) {
    return reportError(err, f.ctx.io.err);
  }
}

async function parse(argv: string[]) {
  const calls: { name: string; opts: any; globals: any }[] = [];
  const runner: Runner = async (name, _load, opts, globals) => {
    calls.push({ name, opts, globals });
    return 0;
  };
  const write = process.stderr.write;
  let stderr = '';
  process.stderr.write = ((s: string) => ((stderr += String(s)), true)) as typeof process.stderr.write;
  try {
    const code = await main(argv, runner);
    return { code, call: calls[0], stderr };
  } finally {
    process.stderr.write = write;
  }
}

describe('argv: --jq, --json FIELDS, list flags and --input', () => {
  const table: [string[], string, object, object][] = [
    [['call', '/api/user/me', '--jq', '.data.email'], 'call', { path: '/api/user/me' }, { jq: '.data.email' }],
    [['-q', '.[].id', 'keys', 'list'], 'keys list', {}, { jq: '.[].id' }],
    [['keys', 'list', '--json', 'id,name'], 'keys list', {}, { json: true, jsonFields: ['id', 'name'] }],
    [['keys', 'list', '--json=id'], 'keys list', {}, { json: true, jsonFields: ['id'] }],
    [['orgs', 'list', '--json', 'slug'], 'orgs list', {}, { json: true, jsonFields: ['slug'] }],
    [['keys', 'get', '--json', 'ak_1'], 'keys get', { id: 'ak_1' }, { json: true }],
    [['orgs', 'switch', '--json', 'acme'], 'orgs switch', { org: 'acme' }, { json: true }],
    [['keys', 'get', 'ak_1', '--json', 'id,name'], 'keys get', { id: 'ak_1' }, { json: true, jsonFields: ['id', 'name'] }],
    [['--json', 'orgs', 'list'], 'orgs list', {}, { json: true }],
    [['keys', 'list', '--limit', '5'], 'keys list', { limit: '5', paginate: false }, {}],
    [['keys', 'list', '--paginate'], 'keys list', { paginate: true }, {}],
    [['orgs', 'list', '-L', '2'], 'orgs list', { limit: '2', paginate: false }, {}],
    [['invitations', 'list', '--paginate'], 'invitations list', { paginate: true }, {}],
    [['teams', 'list', '--org', 'acme', '-L', '3'], 'teams list', { org: 'acme', limit: '3', paginate: false }, {}],
    [['call', 'PATCH', '/api/user/me', '--input', 'body.json'], 'call', { method: 'PATCH', path: '/api/user/me', input: 'body.json' }, {}],
    [['call', '/api/x', '--input', '-'], 'call', { path: '/api/x', input: '-' }, {}],
  ];
  it.each(table)('%j runs %s', async (argv, name, opts, globals) => {
    const { code, call: c } = await parse(argv);
    expect(code).toBe(0);
    expect(c?.name).toBe(name);
    expect(c?.opts).toMatchObject(opts);
    expect(c?.globals).toMatchObject(globals);
  });

  it('a bare --json keeps no field list, and a command word after it is not one', async () => {
    const bare = await parse(['keys', 'list', '--json']);
    expect(bare.call?.globals.json).toBe(true);
    expect(bare.call?.globals.jsonFields).toBeUndefined();
    expect(expandJsonFields(['--json', 'keys', 'list'], new Set(['keys', 'list']))).toEqual(['--json', 'keys', 'list']);
    // A path, a key id or a method is not a field list either.
    expect(expandJsonFields(['call', '--json', '/api/x'], new Set(['call']))).toEqual(['call', '--json', '/api/x']);
    expect(expandJsonFields(['orgs', 'switch', '--json', 'acme'], new Set(['orgs', 'switch']), false)).toEqual(['orgs', 'switch', '--json', 'acme']);
    expect(expandJsonFields(['call', '--json', 'id,name', '/api/x'], new Set(['call']))).toEqual(['call', '--json', '--json-fields', 'id,name', '/api/x']);
  });

  it('--json= with no field names, and --jq without an expression, are usage errors', async () => {
    for (const argv of [['keys', 'list', '--json='], ['keys', 'list', '--json=a,,b'], ['keys', 'list', '--jq']]) {
      const { code, call: c } = await parse(argv);
      expect(code, argv.join(' ')).toBe(2);
      expect(c).toBeUndefined();
    }
  });
});

describe('--json a,b selects fields as gh does', () => {
  it('keeps only the named fields of each object of a list, or of one object', () => {
    expect(selectFields([{ id: 1, name: 'a', x: true }, { id: 2, name: 'b' }], ['id', 'name'])).toEqual([{ id: 1, name: 'a' }, { id: 2, name: 'b' }]);
    expect(selectFields({ id: 1, name: 'a', x: true }, ['name'])).toEqual({ name: 'a' });
    expect(selectFields([], ['id'])).toEqual([]);
  });

  it('an unknown field is a usage error naming the available ones', async () => {
    const io = fakeIO();
    await expect(printFiltered(io, '[{"id":1,"name":"a"}]', { fields: ['id', 'nope'] })).rejects.toMatchObject({ exitCode: 2, message: 'unknown JSON field: nope', hint: 'available fields: id, name' });
    expect(io.stdout).toBe('');
  });
});

describe('--jq runs real jq (WebAssembly), strings raw', () => {
  const keys = JSON.stringify([
    { id: 'ak_1', name: 'deploy', scopes: ['user:read', 'projects:read'], status: 'active' },
    { id: 'ak_2', name: 'nightly\tjob', scopes: ['projects:read'], status: 'revoked' },
  ]);
  const table: [string, string, string][] = [
    ['.[].name', keys, 'deploy\nnightly\tjob\n'],
    ['.[] | select(.scopes | index("user:read")) | .id', keys, 'ak_1\n'],
    ['.data[] | select(.scopes | index("user:read")) | .id', JSON.stringify({ data: JSON.parse(keys) }), 'ak_1\n'],
    ['map(.id) | length', keys, '2\n'],
    ['.[0] | {id, name}', keys, '{"id":"ak_1","name":"deploy"}\n'],
    ['.[] | [.id, .name] | @tsv', keys, 'ak_1\tdeploy\nak_2\tnightly\\tjob\n'],
    ['[.[] | select(.status == "active")] | first | .scopes | join(",")', keys, 'user:read,projects:read\n'],
    ['pick(.[1].id) | .[1]', keys, '{"id":"ak_2"}\n'],
    ['.[] | select(.id == "none")', keys, ''],
  ];
  it.each(table)('%s', async (expression, input, expected) => {
    const io = fakeIO();
    await printFiltered(io, input, { jq: expression });
    expect(io.stdout).toBe(expected);
  });

  it('on a terminal, JSON values are indented', async () => {
    const io = fakeIO({ tty: true });
    await printFiltered(io, keys, { jq: '.[0] | {id}' });
    expect(io.stdout).toBe('{\n  "id": "ak_1"\n}\n');
  });

  it('--json FIELDS then --jq: the expression sees only the fields', async () => {
    const io = fakeIO();
    await printFiltered(io, keys, { fields: ['id'], jq: '.[0] | keys | join(",")' });
    expect(io.stdout).toBe('id\n');
  });

  it('a bad expression is a usage error (exit 2) with jq\'s message; a runtime error is exit 1', async () => {
    const io = fakeIO();
    await expect(printFiltered(io, keys, { jq: '.[' })).rejects.toMatchObject({ exitCode: 2, message: expect.stringContaining('syntax error') });
    await expect(printFiltered(io, keys, { jq: '.[] | error("boom")' })).rejects.toMatchObject({ exitCode: 1, message: expect.stringContaining('boom') });
    expect(io.stdout).toBe('');
  });
});

const page = (ids: string[], next?: string) => ({
  ...ok(ids.map((id) => ({ id, name: id, start: 'ba_x', status: 'active', scopes: ['user:read'], organizationId: null, expiresAt: null, lastUsedAt: null, createdAt: '2026-05-05T10:00:00Z' }))),
  ...(next ? { headers: { link: `<http://127.0.0.1:3999/api/auth/api-key/list?limit=100&cursor=${next}>; rel="next"` } } : {}),
});

describe('--limit N and --paginate on every list command', () => {
  it('keys list: 30 by default, --limit N asks the server for N, --paginate follows every cursor', async () => {
    const ids = Array.from({ length: 150 }, (_, i) => `ak_${i}`);
    const route = (req: { query: URLSearchParams }) => {
      const limit = Number(req.query.get('limit'));
      const from = Number(req.query.get('cursor') ?? 0);
      const to = Math.min(from + limit, ids.length);
      return page(ids.slice(from, to), to < ids.length ? String(to) : undefined);
    };
    const byDefault = fake(route, { globals: { json: true } });
    expect(await exec(byDefault, keysList, {})).toBe(0);
    expect(JSON.parse(byDefault.io.stdout)).toHaveLength(30);
    expect(byDefault.transport.requests[0]!.url).toContain('limit=30');

    const limited = fake(route, { globals: { json: true } });
    expect(await exec(limited, keysList, { limit: '5' })).toBe(0);
    expect(JSON.parse(limited.io.stdout).map((k: { id: string }) => k.id)).toEqual(ids.slice(0, 5));

    const all = fake(route, { globals: { json: true } });
    expect(await exec(all, keysList, { paginate: true })).toBe(0);
    expect(JSON.parse(all.io.stdout)).toHaveLength(150);
    expect(all.transport.requests.map((r) => new URL(r.url).searchParams.get('cursor'))).toEqual([null, '100']);
  });

  it('keys list on a terminal says when there are more than shown', async () => {
    const f = fake(() => page(['ak_1', 'ak_2'], 'c2'), { tty: true });
    expect(await exec(f, keysList, { limit: '2' })).toBe(0);
    expect(f.io.stderr).toContain('Showing the first 2');
  });

  it('orgs list and invitations list cap the list the server returns whole', async () => {
    const orgs = [1, 2, 3].map((n) => ({ id: `org_${n}`, name: `O${n}`, slug: `o${n}`, role: 'owner', createdAt: '2026-05-05T10:00:00Z', updatedAt: '2026-05-05T10:00:00Z' }));
    const o = fake(() => ok(orgs), { globals: { json: true } });
    expect(await exec(o, orgsList, { limit: '2' })).toBe(0);
    expect(JSON.parse(o.io.stdout).map((x: { id: string }) => x.id)).toEqual(['org_1', 'org_2']);
    const oAll = fake(() => ok(orgs), { globals: { json: true } });
    expect(await exec(oAll, orgsList, { paginate: true })).toBe(0);
    expect(JSON.parse(oAll.io.stdout)).toHaveLength(3);

    const invitations = [1, 2, 3].map((n) => ({ id: `inv_${n}`, role: 'member', expiresAt: '2026-05-12T10:00:00Z', organization: { id: `org_${n}`, name: `O${n}`, slug: `o${n}` } }));
    const i = fake(() => ok(invitations), { globals: { json: true } });
    expect(await exec(i, invitationsList, { limit: '1' })).toBe(0);
    expect(JSON.parse(i.io.stdout).map((x: { id: string }) => x.id)).toEqual(['inv_1']);
  });

  it('--limit 0, --limit x and --limit with --paginate are usage errors on every list', async () => {
    for (const run of [keysList, orgsList, invitationsList]) {
      for (const opts of [{ limit: '0' }, { limit: 'x' }, { limit: '2', paginate: true }]) {
        const f = fake(() => ok([]));
        expect(await exec(f, run, opts)).toBe(2);
        expect(f.transport.requests).toHaveLength(0);
      }
    }
  });
});

describe('acct call --input FILE', () => {
  const defaults: CallOptions = { rawFields: [], fields: [], headers: [], include: false, paginate: false };

  it('sends the file (or stdin with -) as the body, POST unless a method is given; fields go to the query', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acct-input-'));
    const file = path.join(dir, 'profile.json');
    fs.writeFileSync(file, '{"name":"From File"}');
    const a = fake(() => ok({}));
    expect(await exec(a, call, { ...defaults, path: '/api/x', input: file, rawFields: ['dryRun=true'] })).toBe(0);
    const reqA = a.transport.requests[0]!;
    expect(reqA.method).toBe('POST');
    expect(reqA.url).toBe('http://127.0.0.1:3999/api/x?dryRun=true');
    expect(reqA.body).toBe('{"name":"From File"}');
    expect(reqA.headers['content-type']).toBe('application/json');

    const b = fake(() => ok({}), { stdin: '{"name":"From Stdin"}' });
    expect(await exec(b, call, { ...defaults, method: 'PATCH', path: '/api/user/me', input: '-' })).toBe(0);
    expect(b.transport.requests[0]!.method).toBe('PATCH');
    expect(b.transport.requests[0]!.body).toBe('{"name":"From Stdin"}');
  });

  it('a missing file, or --input with -d, is a usage error and nothing is sent', async () => {
    const a = fake(() => ok({}));
    expect(await exec(a, call, { ...defaults, path: '/api/x', input: '/nonexistent/acct-body.json' })).toBe(2);
    expect(a.io.stderr).toContain('cannot read /nonexistent/acct-body.json');
    const b = fake(() => ok({}));
    expect(await exec(b, call, { ...defaults, path: '/api/x', input: 'f.json', data: '{}' })).toBe(2);
    expect(a.transport.requests.length + b.transport.requests.length).toBe(0);
  });
});
