// test-dialects: sqlite — the CLI (its flags, output, keychain, exit codes); the server API it calls is covered on PostgreSQL by the server suites
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { run as signup } from '../src/commands/auth/signup.js';
import { run as login } from '../src/commands/auth/login.js';
import { run as logout } from '../src/commands/auth/logout.js';
import { run as status } from '../src/commands/auth/status.js';
import { run as whoami } from '../src/commands/auth/whoami.js';
import { run as keysCreate } from '../src/commands/keys/create.js';
import { run as keysRevoke } from '../src/commands/keys/revoke.js';
import { run as keysRotate } from '../src/commands/keys/rotate.js';
import { run as keysUpdate } from '../src/commands/keys/update.js';
import { run as projectsList } from '../src/commands/projects/list.js';
import { run as completion } from '../src/commands/completion/completion.js';
import { reportError } from '../src/lib/errors.js';
import { createProgram } from '../src/program.js';
import { fail, fake, fakePat, ok, type Fake } from './helpers.js';

/** Runs a command as the top-level runner does: thrown errors become exit codes and stderr. */
async function exec(f: Fake, run: (ctx: any, opts: any) => Promise<number>, opts: object = {}): Promise<number> {
  try {
    return await run(f.ctx, opts);
  } catch (err) {
    return reportError(err, f.ctx.io.err);
  }
}

const user = { id: 'u1', email: 'me@example.com', handle: 'me', fullName: 'Me' };
const createdKey = (key: string, extra: object = {}) => ({
  id: 'ak_1', name: 'CI deploy bot', key, start: key.slice(0, 7), scopes: ['user:read', 'projects:read'], organizationId: null, expiresAt: '2026-06-04T10:00:00.000Z', createdAt: '2026-05-05T10:00:00.000Z', ...extra,
});

describe('acct signup', () => {
  it('without a TTY, a missing --email is a usage error and nothing is sent', async () => {
    const f = fake(() => ok({}));
    expect(await exec(f, signup, { passwordStdin: true })).toBe(2);
    expect(f.io.stderr).toMatch(/--email is required/);
    expect(f.transport.requests).toHaveLength(0);
  });

  it('without a TTY and without --password-stdin, it refuses to prompt', async () => {
    const f = fake(() => ok({}));
    expect(await exec(f, signup, { email: 'a@example.com', name: 'A', passwordStdin: false })).toBe(2);
    expect(f.io.stderr).toMatch(/--password-stdin is required/);
  });

  it('sends email, name and the password read from stdin (first line, spaces kept)', async () => {
    const f = fake(() => ok({ user }, 201), { stdin: ' pass phrase with spaces \n' });
    expect(await exec(f, signup, { email: 'a@example.com', name: 'A', passwordStdin: true })).toBe(0);
    const req = f.transport.requests[0]!;
    expect(req.url).toBe('http://127.0.0.1:3999/api/auth/sign-up/email');
    expect(JSON.parse(req.body!.toString())).toEqual({ email: 'a@example.com', name: 'A', password: ' pass phrase with spaces ' });
    expect(req.headers['cookie']).toBeUndefined();
    expect(req.headers['authorization']).toBeUndefined();
  });

  it('on a terminal it prompts for everything and asks for the password twice', async () => {
    const f = fake(() => ok({ user }, 201), { tty: true, answers: ['a@example.com', 'A', 'pw-pw-pw-pw-pw-pw', 'pw-pw-pw-pw-pw-pw'] });
    expect(await exec(f, signup, { passwordStdin: false })).toBe(0);
    expect(f.io.prompts).toEqual(['Email:', 'Name:', 'Password (at least 15 characters):', 'Password again:']);
  });

  it('mismatched passwords are a usage error', async () => {
    const f = fake(() => ok({ user }, 201), { tty: true, answers: ['a@example.com', 'A', 'one-password-here', 'another-password'] });
    expect(await exec(f, signup, { passwordStdin: false })).toBe(2);
    expect(f.transport.requests).toHaveLength(0);
  });

  it("a taken email is exit 1 with the server's code and message", async () => {
    const f = fake(() => fail(409, 'CONFLICT', 'That email is taken'), { stdin: 'x\n' });
    expect(await exec(f, signup, { email: 'a@example.com', name: 'A', passwordStdin: true })).toBe(1);
    expect(f.io.stderr).toContain('409 CONFLICT: That email is taken');
  });
});

describe('acct login', () => {
  it('keeps the session cookie in a 0600 jar and remembers the user and host', async () => {
    const f = fake((req) => {
      if (req.pathname === '/api/auth/sign-in/email') return { ...ok({ user, session: { id: 's', expiresAt: '2026-06-01T00:00:00Z' } }), headers: { 'set-cookie': ['acct_session=bc_secret; Path=/; HttpOnly; SameSite=Lax'] } };
      return ok(user);
    }, { stdin: 'password-password\n' });
    expect(await exec(f, login, { email: 'me@example.com', passwordStdin: true, withToken: false, insecureStorage: false })).toBe(0);
    const jar = path.join(f.home.configDir, 'cookies.json');
    expect(fs.statSync(jar).mode & 0o777).toBe(0o600);
    expect(fs.statSync(f.home.configDir).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.join(f.home.configDir, 'config.json')).mode & 0o777).toBe(0o600);
    expect(f.ctx.config.data.currentHost).toBe('http://127.0.0.1:3999');
    expect(f.ctx.config.data.hosts['http://127.0.0.1:3999']?.user?.email).toBe('me@example.com');
    expect(f.io.stderr).toContain('Logged in to http://127.0.0.1:3999 as me@example.com');
    // The next request carries the cookie.
    await f.ctx.http.request({ method: 'GET', path: '/api/user/me' });
    expect(f.transport.requests[1]!.headers['cookie']).toBe('acct_session=bc_secret');
  });

  it('prompts for the password (masked) on a terminal, offering the remembered email', async () => {
    const f = fake(() => ok({ user, session: { id: 's', expiresAt: '2026-06-01T00:00:00Z' } }), { tty: true, answers: ['me@example.com', 'password-password'] });
    expect(await exec(f, login, { passwordStdin: false, withToken: false, insecureStorage: false })).toBe(0);
    expect(f.io.prompts).toEqual(['Email:', 'Password:']);
  });

  it('wrong password: exit 4', async () => {
    const f = fake(() => fail(401, 'INVALID_CREDENTIALS', 'Invalid email or password'), { stdin: 'nope\n' });
    expect(await exec(f, login, { email: 'me@example.com', passwordStdin: true, withToken: false, insecureStorage: false })).toBe(4);
    expect(f.io.stderr).toContain('INVALID_CREDENTIALS');
  });

  it('--with-token checks the token, then saves it to the keychain and uses it for the host', async () => {
    const pat = await fakePat();
    const f = fake(() => ({ ...ok(user), headers: { 'x-token-scopes': 'user:read, projects:read' } }), { stdin: `${pat}\n` });
    expect(await exec(f, login, { withToken: true, passwordStdin: false, insecureStorage: false })).toBe(0);
    expect(f.transport.requests[0]!.headers['authorization']).toBe(`Bearer ${pat}`);
    expect([...f.keychain.items.values()].join() === pat).toBe(true);
    const saved = f.ctx.config.data.hosts['http://127.0.0.1:3999']!.tokens![0]!;
    expect(saved).toMatchObject({ storage: 'keychain', scopes: ['user:read', 'projects:read'], masked: `${pat.slice(0, 7)}…` });
    expect(fs.readFileSync(f.ctx.config.file, 'utf8')).not.toContain(pat);
    expect(f.io.stderr).not.toContain(pat);
    expect((await f.ctx.http.credential()).source).toBe('keychain');
  });

  it('--with-token refuses a token the server rejects (exit 4) and saves nothing', async () => {
    const pat = await fakePat();
    const f = fake(() => fail(401, 'INVALID_TOKEN', 'revoked'), { stdin: pat });
    expect(await exec(f, login, { withToken: true, passwordStdin: false, insecureStorage: false })).toBe(4);
    expect(f.keychain.items.size).toBe(0);
  });

  it('--with-token refuses text that is not a token without asking the server (exit 2)', async () => {
    const f = fake(() => ok(user), { stdin: 'ba_not-a-token\n' });
    expect(await exec(f, login, { withToken: true, passwordStdin: false, insecureStorage: false })).toBe(2);
    expect(f.transport.requests).toHaveLength(0);
  });

  it('--with-token without a keychain fails loudly unless --insecure-storage, then uses a 0600 file', async () => {
    const pat = await fakePat();
    const refused = fake(() => ok(user), { stdin: pat, keychainUnavailable: true });
    expect(await exec(refused, login, { withToken: true, passwordStdin: false, insecureStorage: false })).toBe(1);
    expect(refused.io.stderr).toMatch(/no OS keychain available/);
    expect(refused.io.stderr).toMatch(/--insecure-storage/);
    expect(fs.existsSync(path.join(refused.home.configDir, 'tokens.json'))).toBe(false);

    const allowed = fake(() => ok(user), { stdin: pat, keychainUnavailable: true });
    expect(await exec(allowed, login, { withToken: true, passwordStdin: false, insecureStorage: true })).toBe(0);
    const file = path.join(allowed.home.configDir, 'tokens.json');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(allowed.io.stderr).toMatch(/warning: --insecure-storage/);
    expect((await allowed.ctx.http.credential()).source).toBe('file');
  });
});

describe('credential precedence: --token > ACCT_TOKEN > saved PAT > cookie', () => {
  async function seeded(globals: object, env: Record<string, string>) {
    const saved = await fakePat();
    const f = fake((req) => (req.pathname === '/api/auth/sign-in/email' ? { ...ok({ user, session: {} }), headers: { 'set-cookie': 'acct_session=bc_cookie; Path=/' } } : ok(user)), { globals, env, stdin: saved });
    await exec(f, login, { email: 'me@example.com', passwordStdin: true, withToken: false, insecureStorage: false });
    return { f, saved };
  }
  it.each([
    ['--token wins over everything', { token: 'FLAG' }, { ACCT_TOKEN: 'ENV' }, 'Bearer FLAG', 'flag'],
    ['ACCT_TOKEN wins over the saved PAT and the cookie', {}, { ACCT_TOKEN: 'ENV' }, 'Bearer ENV', 'env'],
  ])('%s', async (_t, globals, env, header, source) => {
    const { f } = await seeded(globals, env);
    await f.ctx.http.request({ method: 'GET', path: '/api/user/me' });
    const last = f.transport.requests.at(-1)!;
    expect(last.headers['authorization']).toBe(header);
    expect(last.headers['cookie']).toBeUndefined();
    expect((await f.ctx.http.credential()).source).toBe(source);
  });

  it('a saved PAT wins over the cookie; the cookie is used when there is no PAT; key management prefers the session', async () => {
    const { f } = await seeded({}, {});
    await f.ctx.http.request({ method: 'GET', path: '/api/user/me' });
    expect(f.transport.requests.at(-1)!.headers['cookie']).toBe('acct_session=bc_cookie');
    const pat = await fakePat();
    f.io.readStdin = async () => pat;
    await exec(f, login, { withToken: true, passwordStdin: false, insecureStorage: false });
    await f.ctx.http.request({ method: 'GET', path: '/api/user/me' });
    expect(f.transport.requests.at(-1)!.headers['authorization']).toBe(`Bearer ${pat}`);
    expect(f.transport.requests.at(-1)!.headers['cookie']).toBeUndefined();
    await f.ctx.http.request({ method: 'GET', path: '/api/auth/api-key/list', credential: 'session' });
    expect(f.transport.requests.at(-1)!.headers['cookie']).toBe('acct_session=bc_cookie');
  });

  it('--token warns that argv is visible in process lists', async () => {
    const f = fake(() => ok(user), { globals: { token: 'x' } });
    expect(f.io.stderr).toMatch(/--token puts the token in your shell history and in process lists/);
  });
});

describe('acct keys create', () => {
  const base = { name: 'CI deploy bot', scopes: ['user:read', 'projects:read'], save: false, insecureStorage: false };

  it.each([
    [{ ...base, scopes: [] }, /at least one --scope is required/],
    [{ ...base, name: undefined }, /--name is required/],
    [{ ...base, scopes: ['user:read', 'everything'] }, /unknown scope: everything/],
    [{ ...base, expires: 'soon' }, /invalid duration/],
  ])('%j is a usage error and mints nothing', async (opts, message) => {
    const f = fake(() => ok({}));
    expect(await exec(f, keysCreate, opts)).toBe(2);
    expect(f.io.stderr).toMatch(message);
    expect(f.transport.requests).toHaveLength(0);
  });

  it.each([
    ['30d', 2_592_000],
    ['12h', 43_200],
    ['90m', 5_400],
    ['1y', 31_536_000],
    ['3600', 3_600],
  ])('--expires %s sends expiresIn %i', async (expires, seconds) => {
    const pat = await fakePat();
    const f = fake(() => ok(createdKey(pat)));
    expect(await exec(f, keysCreate, { ...base, expires })).toBe(0);
    expect(JSON.parse(f.transport.requests[0]!.body!.toString()).expiresIn).toBe(seconds);
  });

  it('--org pins the key with metadata.organizationId; without --expires no expiresIn is sent', async () => {
    const pat = await fakePat();
    const f = fake(() => ok(createdKey(pat, { organizationId: 'org_A' })));
    expect(await exec(f, keysCreate, { ...base, org: 'org_A' })).toBe(0);
    expect(JSON.parse(f.transport.requests[0]!.body!.toString())).toEqual({ name: 'CI deploy bot', scopes: ['user:read', 'projects:read'], metadata: { organizationId: 'org_A' } });
  });

  it('prints only the key on stdout when stdout is not a TTY', async () => {
    const pat = await fakePat();
    const f = fake(() => ok(createdKey(pat)));
    expect(await exec(f, keysCreate, base)).toBe(0);
    expect(f.io.stdout === `${pat}\n`).toBe(true);
    expect(f.io.stderr).toContain('ak_1');
  });

  it('on a terminal prints the key once with its details and a warning to copy it', async () => {
    const pat = await fakePat();
    const f = fake(() => ok(createdKey(pat)), { tty: true });
    expect(await exec(f, keysCreate, base)).toBe(0);
    expect(f.io.stdout).toContain(pat);
    expect(f.io.stdout.split(pat)).toHaveLength(2);
    expect(f.io.stdout).toMatch(/Copy it now/);
  });

  it('--json prints the whole answer', async () => {
    const pat = await fakePat();
    const f = fake(() => ok(createdKey(pat)), { globals: { json: true } });
    expect(await exec(f, keysCreate, base)).toBe(0);
    expect(JSON.parse(f.io.stdout)).toMatchObject({ id: 'ak_1', key: pat });
  });

  it('--save stores the key in the keychain for this host', async () => {
    const pat = await fakePat();
    const f = fake(() => ok(createdKey(pat)));
    expect(await exec(f, keysCreate, { ...base, save: true })).toBe(0);
    expect([...f.keychain.items.keys()]).toEqual([`http://127.0.0.1:3999 ${pat.slice(3, 15)}`]);
    expect(f.keychain.items.get(`http://127.0.0.1:3999 ${pat.slice(3, 15)}`) === pat).toBe(true);
    expect(f.ctx.config.data.hosts['http://127.0.0.1:3999']!.tokens![0]).toMatchObject({ id: 'ak_1', expiresAt: '2026-06-04T10:00:00.000Z' });
  });

  it('--save without a keychain refuses before minting (nothing is lost), unless --insecure-storage', async () => {
    const pat = await fakePat();
    const f = fake(() => ok(createdKey(pat)), { keychainUnavailable: true });
    expect(await exec(f, keysCreate, { ...base, save: true })).toBe(1);
    expect(f.transport.requests).toHaveLength(0);
    expect(f.io.stderr).toMatch(/no OS keychain available/);
  });

  it('a PAT cannot mint keys: 403 is exit 5', async () => {
    const f = fake(() => fail(403, 'FORBIDDEN', 'This route needs a signed-in session'));
    expect(await exec(f, keysCreate, base)).toBe(5);
  });
});

describe('acct keys revoke / rotate / update', () => {
  it('revoke posts the id and deletes a saved copy of that key', async () => {
    const pat = await fakePat();
    const f = fake((req) => (req.pathname.endsWith('/create') ? ok(createdKey(pat)) : ok({ ...createdKey(pat), status: 'revoked' })));
    await exec(f, keysCreate, { name: 'n', scopes: ['user:read'], save: true, insecureStorage: false });
    expect(f.keychain.items.size).toBe(1);
    expect(await exec(f, keysRevoke, { id: 'ak_1' })).toBe(0);
    const req = f.transport.requests.at(-1)!;
    expect(req.url).toBe('http://127.0.0.1:3999/api/auth/api-key/delete');
    expect(JSON.parse(req.body!.toString())).toEqual({ id: 'ak_1' });
    expect(f.keychain.items.size).toBe(0);
    expect(f.ctx.config.data.hosts['http://127.0.0.1:3999']!.tokens).toEqual([]);
  });

  it('rotate replaces a saved copy with the new secret', async () => {
    const [old, fresh] = [await fakePat(), await fakePat()];
    const f = fake((req) => (req.pathname.endsWith('/create') ? ok(createdKey(old)) : ok({ ...createdKey(fresh), gracePeriod: undefined })));
    await exec(f, keysCreate, { name: 'n', scopes: ['user:read'], save: true, insecureStorage: false });
    expect(await exec(f, keysRotate, { id: 'ak_1', save: false, insecureStorage: false, grace: '1h' })).toBe(0);
    expect(JSON.parse(f.transport.requests.at(-1)!.body!.toString())).toEqual({ id: 'ak_1', gracePeriod: 3600 });
    expect([...f.keychain.items.values()].join() === fresh).toBe(true);
    expect(f.io.stdout.endsWith(`\n${fresh}\n`)).toBe(true);
  });

  it.each([
    [{ id: 'ak_1', enable: false, disable: false }, /nothing to change/],
    [{ id: 'ak_1', enable: true, disable: true }, /cannot be combined/],
  ])('update %j is a usage error', async (opts, message) => {
    const f = fake(() => ok({}));
    expect(await exec(f, keysUpdate, opts)).toBe(2);
    expect(f.io.stderr).toMatch(message);
  });

  it('update sends only what changes', async () => {
    const f = fake(() => ok({ ...createdKey('x'), status: 'disabled', enabled: false, lastUsedAt: null, revokedAt: null, rotatedAt: null }));
    expect(await exec(f, keysUpdate, { id: 'ak_1', disable: true, enable: false, scopes: ['user:read'] })).toBe(0);
    expect(JSON.parse(f.transport.requests[0]!.body!.toString())).toEqual({ id: 'ak_1', enabled: false, scopes: ['user:read'] });
  });
});

describe('acct logout', () => {
  it('signs out on the server, clears the host cookies, and with --forget-token deletes saved PATs', async () => {
    const pat = await fakePat();
    const f = fake((req) => {
      if (req.pathname === '/api/auth/sign-in/email') return { ...ok({ user, session: {} }), headers: { 'set-cookie': 'acct_session=bc_cookie; Path=/' } };
      if (req.pathname === '/api/auth/sign-out') return ok({ ok: true });
      return ok(createdKey(pat));
    }, { stdin: 'pw\n' });
    await exec(f, login, { email: 'me@example.com', passwordStdin: true, withToken: false, insecureStorage: false });
    await exec(f, keysCreate, { name: 'n', scopes: ['user:read'], save: true, insecureStorage: false });
    expect(await exec(f, logout, { forgetToken: true })).toBe(0);
    const signOut = f.transport.requests.find((r) => r.url.endsWith('/api/auth/sign-out'))!;
    expect(signOut.headers['cookie']).toBe('acct_session=bc_cookie');
    expect((await f.ctx.jar()).cookieHeader('http://127.0.0.1:3999')).toBe('');
    expect(fs.readFileSync(path.join(f.home.configDir, 'cookies.json'), 'utf8')).not.toContain('bc_cookie');
    expect(f.keychain.items.size).toBe(0);
    expect((await f.ctx.http.credential()).source).toBe('none');
  });
});

describe('acct auth status / whoami', () => {
  it('shows host, credential (masked), user, scopes and expiry for ACCT_TOKEN', async () => {
    const pat = await fakePat();
    const f = fake((req) => (req.pathname === '/api/user/me' ? { ...ok(user), headers: { 'x-token-scopes': 'user:read, projects:read' } } : fail(403, 'INSUFFICIENT_SCOPE', 'no', { 'x-accepted-scopes': 'api-keys:read' })), { env: { ACCT_TOKEN: pat } });
    expect(await exec(f, status)).toBe(0);
    expect(f.io.stderr).toContain('http://127.0.0.1:3999');
    expect(f.io.stderr).toContain(`token from ACCT_TOKEN ${pat.slice(0, 7)}…`);
    expect(f.io.stderr).toContain('me@example.com');
    expect(f.io.stderr).toContain('Scopes: user:read, projects:read');
    expect(f.io.stderr).not.toContain(pat);
  });

  it('not signed in: exit 4 and no request', async () => {
    const f = fake(() => ok(user));
    expect(await exec(f, status)).toBe(4);
    expect(f.io.stderr).toMatch(/Not signed in/);
    expect(f.transport.requests).toHaveLength(0);
  });

  it('whoami prints the email on stdout; a revoked token is exit 4', async () => {
    const pat = await fakePat();
    const good = fake(() => ok(user), { env: { ACCT_TOKEN: pat } });
    expect(await exec(good, whoami)).toBe(0);
    expect(good.io.stdout).toBe('me@example.com\n');
    const bad = fake(() => fail(401, 'INVALID_TOKEN', 'revoked'), { env: { ACCT_TOKEN: pat } });
    expect(await exec(bad, whoami)).toBe(4);
  });

  it('--json gives machine output', async () => {
    const pat = await fakePat();
    const f = fake(() => ok(user), { env: { ACCT_TOKEN: pat }, globals: { json: true } });
    expect(await exec(f, status)).toBe(0);
    expect(JSON.parse(f.io.stdout)).toMatchObject({ host: 'http://127.0.0.1:3999', credential: { source: 'env', token: `${pat.slice(0, 7)}…` }, user: { email: 'me@example.com' } });
  });
});

describe('acct projects list', () => {
  it('uses the only organization and follows every page', async () => {
    const f = fake((req) => {
      if (req.pathname === '/api/user/organizations') return ok([{ id: 'org_A', name: 'A' }]);
      const page2 = req.query.get('cursor') === 'c2';
      return {
        ...ok([{ id: page2 ? 'p2' : 'p1', name: 'P', description: '', organizationId: 'org_A', createdAt: '2026-05-05T10:00:00Z' }]),
        ...(page2 ? {} : { headers: { link: '<http://127.0.0.1:3999/api/user/organizations/org_A/projects?limit=100&cursor=c2>; rel="next"' } }),
      };
    }, { globals: { json: true } });
    expect(await exec(f, projectsList, {})).toBe(0);
    expect(JSON.parse(f.io.stdout).map((p: { id: string }) => p.id)).toEqual(['p1', 'p2']);
  });

  it('several organizations and no --org: usage error listing them', async () => {
    const f = fake(() => ok([{ id: 'org_A', name: 'A' }, { id: 'org_B', name: 'B' }]));
    expect(await exec(f, projectsList, {})).toBe(2);
    expect(f.io.stderr).toContain('org_B');
  });
});

describe('acct completion', () => {
  it.each(['bash', 'zsh', 'fish'])('%s script names the commands and flags', async (shell) => {
    const f = fake(() => ok({}));
    expect(await exec(f, completion, { shell, program: await createProgram() })).toBe(0);
    for (const word of ['signup', 'keys', 'create', 'scope', 'paginate']) expect(f.io.stdout).toContain(word);
  });
  it('an unknown shell is a usage error', async () => {
    const f = fake(() => ok({}));
    expect(await exec(f, completion, { shell: 'tcsh', program: await createProgram() })).toBe(2);
  });
});
