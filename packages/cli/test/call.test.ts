// test-dialects: sqlite — the CLI (its flags, output, keychain, exit codes); the server API it calls is covered on PostgreSQL by the server suites
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { run as call, type CallOptions } from '../src/commands/call/call.js';
import { reportError } from '../src/lib/errors.js';
import { buildFields, keyPath, toQuery } from '../src/lib/fields.js';
import { nextLink } from '../src/lib/paginate.js';
import { fail, fake, ok, type Fake, type Route } from './helpers.js';

const defaults: CallOptions = { rawFields: [], fields: [], headers: [], include: false, paginate: false };

async function exec(f: Fake, opts: Partial<CallOptions>): Promise<number> {
  try {
    return await call(f.ctx, { ...defaults, ...opts });
  } catch (err) {
    return reportError(err, f.ctx.io.err);
  }
}

describe('acct call: request building', () => {
  const table: [string, Partial<CallOptions>, { method: string; url: string; body?: unknown }][] = [
    ['GET by default', { path: '/api/user/me' }, { method: 'GET', url: '/api/user/me' }],
    ['path without a slash', { path: 'api/user/me' }, { method: 'GET', url: '/api/user/me' }],
    ['explicit method', { method: 'delete', path: '/api/x' }, { method: 'DELETE', url: '/api/x' }],
    ['POST when -f is given', { path: '/api/user/organizations', rawFields: ['name=Acme'] }, { method: 'POST', url: '/api/user/organizations', body: { name: 'Acme' } }],
    ['-f keeps strings', { path: '/x', rawFields: ['n=1', 'b=true'] }, { method: 'POST', url: '/x', body: { n: '1', b: 'true' } }],
    [
      '-F types values and nests keys',
      { path: '/x', fields: ['n=42', 'f=1.5', 'neg=-3', 'yes=true', 'no=false', 'nil=null', 's=hello', 'a[b]=1', 'a[c][d]=x', 'list[]=1', 'list[]=two'] },
      { method: 'POST', url: '/x', body: { n: 42, f: 1.5, neg: -3, yes: true, no: false, nil: null, s: 'hello', a: { b: 1, c: { d: 'x' } }, list: [1, 'two'] } },
    ],
    ['fields of a GET go to the query string', { method: 'GET', path: '/x', fields: ['limit=5', 'q[name]=a b'] }, { method: 'GET', url: '/x?limit=5&q%5Bname%5D=a+b' }],
    ['-d JSON text', { path: '/x', data: '{"a":1}' }, { method: 'POST', url: '/x', body: { a: 1 } }],
    ['-d with PATCH', { method: 'PATCH', path: '/api/user/me', data: '{"name":"N"}' }, { method: 'PATCH', url: '/api/user/me', body: { name: 'N' } }],
  ];
  it.each(table)('%s', async (_name, opts, expected) => {
    const f = fake(() => ok({}));
    expect(await exec(f, opts)).toBe(0);
    const req = f.transport.requests[0]!;
    expect(req.method).toBe(expected.method);
    expect(req.url).toBe(`http://127.0.0.1:3999${expected.url}`);
    if (expected.body === undefined) expect(req.body).toBeUndefined();
    else {
      expect(JSON.parse(req.body!.toString())).toEqual(expected.body);
      expect(req.headers['content-type']).toBe('application/json');
    }
  });

  it('-d @file and -d - read the body from a file and from stdin; -F @file reads a field', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acct-call-'));
    fs.writeFileSync(path.join(dir, 'body.json'), '{"from":"file"}');
    fs.writeFileSync(path.join(dir, 'desc.txt'), 'long text');
    const a = fake(() => ok({}));
    await exec(a, { path: '/x', data: `@${path.join(dir, 'body.json')}` });
    expect(a.transport.requests[0]!.body).toBe('{"from":"file"}');
    const b = fake(() => ok({}), { stdin: '{"from":"stdin"}' });
    await exec(b, { path: '/x', data: '-' });
    expect(b.transport.requests[0]!.body).toBe('{"from":"stdin"}');
    const c = fake(() => ok({}));
    await exec(c, { path: '/x', fields: [`description=@${path.join(dir, 'desc.txt')}`] });
    expect(JSON.parse(c.transport.requests[0]!.body!.toString())).toEqual({ description: 'long text' });
  });

  it('-H adds headers; an explicit Authorization header replaces the credential', async () => {
    const f = fake(() => ok({}), { env: { ACCT_TOKEN: 'ENV' } });
    await exec(f, { path: '/x', headers: ['X-Request-Id: abc', 'Authorization: Bearer OTHER'] });
    expect(f.transport.requests[0]!.headers).toMatchObject({ 'x-request-id': 'abc', authorization: 'Bearer OTHER' });
  });

  it.each([
    [{}, /a path is required/],
    [{ path: '/x', data: '{}', rawFields: ['a=b'] }, /either -d or -f\/-F/],
    [{ path: '/x', rawFields: ['novalue'] }, /expected key=value/],
    [{ path: '/x', fields: ['a[=1'] }, /invalid field name/],
    [{ path: '/x', headers: ['NoColon'] }, /expected 'Name: value'/],
    [{ path: '/x', method: 'POST', paginate: true }, /--paginate works only with GET/],
    [{ path: 'https://elsewhere.example.com/api/user/me' }, /refusing to send a request/],
  ])('%j is a usage error (exit 2) and sends nothing', async (opts, message) => {
    const f = fake(() => ok({}));
    expect(await exec(f, opts)).toBe(2);
    expect(f.io.stderr).toMatch(message);
    expect(f.transport.requests).toHaveLength(0);
  });
});

describe('acct call: output and exit codes', () => {
  it('prints the raw body when stdout is not a TTY, pretty JSON on a TTY', async () => {
    const raw = fake(() => ok({ a: 1 }));
    await exec(raw, { path: '/x' });
    expect(raw.io.stdout).toBe('{"success":true,"status":200,"code":"OK","message":"ok","data":{"a":1},"meta":{"requestId":"req-1"}}');
    const tty = fake(() => ok({ a: 1 }), { tty: true });
    await exec(tty, { path: '/x' });
    expect(tty.io.stdout).toContain('  "data": {\n    "a": 1\n  }');
  });

  it('-i prints the status line and headers first', async () => {
    const f = fake(() => ({ ...ok({}), headers: { 'x-request-id': 'req-1' } }));
    await exec(f, { path: '/x', include: true });
    expect(f.io.stdout).toMatch(/^HTTP\/1\.1 200 .*\ncontent-type: application\/json\nx-request-id: req-1\n\n\{/);
  });

  const codes: [string, ReturnType<Route>, number, RegExp][] = [
    ['401 is exit 4', fail(401, 'INVALID_TOKEN', 'The credential is invalid or has been revoked'), 4, /401 INVALID_TOKEN: The credential is invalid/],
    ['402 is exit 7', fail(402, 'INSUFFICIENT_CREDITS', 'Not enough credits'), 7, /402 INSUFFICIENT_CREDITS/],
    ['403 is exit 5 and names the missing scope', fail(403, 'INSUFFICIENT_SCOPE', 'The token lacks the scope projects:write', { 'x-accepted-scopes': 'projects:write' }), 5, /needs the scope projects:write.*--scope projects:write/s],
    ['403 org mismatch is exit 5', fail(403, 'ORGANIZATION_MISMATCH', 'The token is pinned to another organization'), 5, /ORGANIZATION_MISMATCH/],
    ['404 is exit 1', fail(404, 'NOT_FOUND', 'Not found'), 1, /404 NOT_FOUND: Not found/],
    ['500 is exit 1', fail(500, 'INTERNAL_ERROR', 'Something went wrong'), 1, /500 INTERNAL_ERROR/],
    ['a non-JSON error body still maps', { status: 502, body: 'Bad gateway' }, 1, /502 HTTP_502/],
  ];
  it.each(codes)('%s', async (_name, reply, code, message) => {
    const f = fake(() => reply);
    expect(await exec(f, { path: '/x' })).toBe(code);
    expect(f.io.stderr).toMatch(message);
    expect(f.transport.requests).toHaveLength(1); // 401/403 are never retried
  });

  it('a network failure is exit 3', async () => {
    const f = fake(() => ok({}));
    f.ctx.http = new (f.ctx.http.constructor as any)({ ...(f.ctx.http as any).opts, transport: async () => { const { NetworkError } = await import('../src/lib/errors.js'); throw new NetworkError('cannot reach http://127.0.0.1:3999: ECONNREFUSED'); } });
    expect(await exec(f, { path: '/x' })).toBe(3);
    expect(f.io.stderr).toMatch(/ECONNREFUSED/);
  });

  it('--paginate follows Link rel="next" and merges the data arrays', async () => {
    const f = fake((req) => {
      const cursor = req.query.get('cursor');
      const next = cursor === null ? 'c2' : cursor === 'c2' ? 'c3' : null;
      return {
        ...ok([`item-${cursor ?? 'c1'}`]),
        ...(next ? { headers: { link: `<http://127.0.0.1:3999/api/x?limit=1&cursor=${next}>; rel="next"` } } : {}),
      };
    });
    expect(await exec(f, { path: '/api/x', paginate: true, fields: ['limit=1'], method: 'GET' })).toBe(0);
    expect(f.transport.requests.map((r) => new URL(r.url).search)).toEqual(['?limit=1', '?limit=1&cursor=c2', '?limit=1&cursor=c3']);
    expect(JSON.parse(f.io.stdout).data).toEqual(['item-c1', 'item-c2', 'item-c3']);
  });
});

describe('fields and links', () => {
  it.each([
    ['a', ['a']],
    ['a[b]', ['a', 'b']],
    ['a[b][]', ['a', 'b', '']],
    ['list[]', ['list', '']],
  ])('keyPath(%s)', (key, expected) => expect(keyPath(key)).toEqual(expected));

  it('array of objects: a[][x]=1 a[][y]=2 a[][x]=3 → two objects', async () => {
    expect(await buildFields([], ['a[][x]=1', 'a[][y]=2', 'a[][x]=3'], async () => '')).toEqual({ a: [{ x: 1, y: 2 }, { x: 3 }] });
  });

  it('toQuery flattens nesting with brackets', () => {
    expect(toQuery({ a: { b: 1 }, c: true, d: null })).toEqual({ 'a[b]': '1', c: 'true', d: '' });
  });

  it.each([
    ['<https://h/x?cursor=2>; rel="next"', 'https://h/x?cursor=2'],
    ['<https://h/x?p=1>; rel="prev", <https://h/x?p=3>; rel="next"', 'https://h/x?p=3'],
    ['<https://h/x?p=3>; rel=next', 'https://h/x?p=3'],
    ['<https://h/x?p=1>; rel="prev"', null],
    [undefined, null],
  ])('nextLink(%s)', (header, expected) => expect(nextLink(header)).toBe(expected));
});
