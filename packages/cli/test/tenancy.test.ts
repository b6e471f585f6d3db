// test-dialects: sqlite — the CLI (its flags, output, keychain, exit codes); the server API it calls is covered on PostgreSQL by the server suites
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { run as orgsList } from '../src/commands/orgs/list.js';
import { run as orgsCreate } from '../src/commands/orgs/create.js';
import { run as orgsSwitch } from '../src/commands/orgs/switch.js';
import { run as membersList } from '../src/commands/members/list.js';
import { run as membersInvite } from '../src/commands/members/invite.js';
import { run as membersRemove } from '../src/commands/members/remove.js';
import { run as invitationsList } from '../src/commands/invitations/list.js';
import { run as invitationsAccept } from '../src/commands/invitations/accept.js';
import { run as projectsList } from '../src/commands/projects/list.js';
import { run as projectsCreate } from '../src/commands/projects/create.js';
import { run as creditsShow } from '../src/commands/credits/show.js';
import { run as topUp } from '../src/commands/credits/top-up.js';
import { run as completion } from '../src/commands/completion/completion.js';
import { reportError } from '../src/lib/errors.js';
import { createProgram } from '../src/program.js';
import { fail, fake, ok, tempHome, type Fake, type Route } from './helpers.js';

async function exec(f: Fake, run: (ctx: any, opts: any) => Promise<number>, opts: object = {}): Promise<number> {
  try {
    return await run(f.ctx, opts);
  } catch (err) {
    return reportError(err, f.ctx.io.err);
  }
}

const HOST = 'http://127.0.0.1:3999';
const at = '2026-05-05T10:00:00.000Z';
const org = (id: string, slug: string, role = 'owner') => ({ id, name: `Org ${slug}`, slug, role, createdAt: at, updatedAt: at });
const A = org('01HZAAAAAAAAAAAAAAAAAAAAAA', 'acme');
const B = org('01HZBBBBBBBBBBBBBBBBBBBBBB', 'beta', 'member');
const project = (id: string, organizationId = A.id) => ({ id, organizationId, name: `P ${id}`, description: '', createdAt: at, updatedAt: at });

/** A server with organizations `orgs`; every other GET answers an empty list, POSTs echo. */
function server(orgs: object[], more: Route = () => ok([])): Route {
  return (req) => (req.pathname === '/api/user/organizations' && req.method === 'GET' ? ok(orgs) : more(req));
}

/** The organization id in the path of the last request to an organization's resource. */
const orgOfLast = (f: Fake) => /\/api\/user\/organizations\/([^/]+)\//.exec(new URL(f.transport.requests.at(-1)!.url).pathname)?.[1];

/** Saves a current organization for the test host, as `acct orgs switch` does. */
function switched(home = tempHome(), to = B) {
  fs.mkdirSync(home.configDir, { recursive: true });
  fs.writeFileSync(`${home.configDir}/config.json`, JSON.stringify({ hosts: { [HOST]: { organization: { id: to.id, slug: to.slug, name: to.name } } } }));
  return home;
}

describe('which organization a command works on: --org > ACCT_ORG > current > the only one', () => {
  it.each([
    ['--org wins over ACCT_ORG and the current one', { org: A.id }, { ACCT_ORG: B.id }, true, [A, B], A.id],
    ['ACCT_ORG wins over the current one', {}, { ACCT_ORG: A.id }, true, [A, B], A.id],
    ['the current organization for the host', {}, {}, true, [A, B], B.id],
    ['the only organization', {}, {}, false, [A], A.id],
    ['--org takes a slug', { org: 'beta' }, {}, false, [A, B], B.id],
    ['ACCT_ORG takes a slug', {}, { ACCT_ORG: 'acme' }, true, [A, B], A.id],
  ] as const)('%s', async (_t, opts, env, current, orgs, expected) => {
    const f = fake(server([...orgs]), { env, home: current ? switched() : tempHome() });
    expect(await exec(f, projectsList, opts)).toBe(0);
    expect(orgOfLast(f)).toBe(expected);
  });

  it('an id needs no lookup; the current organization needs none either', async () => {
    const byId = fake(server([A, B]));
    await exec(byId, projectsList, { org: A.id });
    expect(byId.transport.requests.map((r) => new URL(r.url).pathname)).toEqual([`/api/user/organizations/${A.id}/projects`]);
    const byCurrent = fake(server([A, B]), { home: switched() });
    await exec(byCurrent, projectsList, {});
    expect(byCurrent.transport.requests).toHaveLength(1);
  });

  it('several organizations, none chosen: exit 2 listing them, and nothing else is sent', async () => {
    const f = fake(server([A, B]));
    expect(await exec(f, projectsList, {})).toBe(2);
    expect(f.io.stderr).toMatch(/you belong to 2 organizations: choose one with `acct orgs switch ID\|SLUG`/);
    expect(f.io.stderr).toContain(`${A.id}  acme  Org acme`);
    expect(f.io.stderr).toContain(`${B.id}  beta  Org beta`);
    expect(f.transport.requests).toHaveLength(1);
  });

  it('no organization at all: exit 2 saying how to get one', async () => {
    const f = fake(server([]));
    expect(await exec(f, membersList, {})).toBe(2);
    expect(f.io.stderr).toMatch(/acct orgs create NAME/);
  });

  it('a current organization the server no longer lets you into says where it came from (exit 5)', async () => {
    const f = fake(server([A], () => fail(403, 'ORGANIZATION_MISMATCH', 'You are not a member of this organization')), { home: switched() });
    expect(await exec(f, membersList, {})).toBe(5);
    expect(f.io.stderr).toMatch(/ORGANIZATION_MISMATCH.*current organization for http:\/\/127\.0\.0\.1:3999 \(Org beta \(beta\), set by `acct orgs switch`\)/);
  });

  it('the current organization is per host', async () => {
    const home = switched();
    const other = fake(server([A, B]), { home, globals: { host: 'http://127.0.0.1:4000' } });
    expect(await exec(other, projectsList, {})).toBe(2);
  });
});

describe('acct orgs switch / list / create', () => {
  it.each([
    ['a slug', 'beta'],
    ['an id', B.id],
    ['a slug in capitals', 'BETA'],
  ])('switch by %s saves the organization for this host in config.json (0600)', async (_t, ref) => {
    const f = fake(server([A, B]));
    expect(await exec(f, orgsSwitch, { org: ref, unset: false })).toBe(0);
    const saved = JSON.parse(fs.readFileSync(f.ctx.config.file, 'utf8'));
    expect(saved.hosts[HOST].organization).toEqual({ id: B.id, slug: 'beta', name: 'Org beta' });
    expect(fs.statSync(f.ctx.config.file).mode & 0o777).toBe(0o600);
    expect(f.io.stderr).toContain(`✓ Switched to Org beta (beta) on ${HOST}`);
  });

  it('switch to an organization you are not in: exit 2 listing yours, nothing saved', async () => {
    const f = fake(server([A, B]));
    expect(await exec(f, orgsSwitch, { org: 'gamma', unset: false })).toBe(2);
    expect(f.io.stderr).toContain('"gamma"');
    expect(f.io.stderr).toContain(`${B.id}  beta  Org beta`);
    expect(fs.existsSync(f.ctx.config.file)).toBe(false);
  });

  it('switch without an argument is a usage error; --unset forgets the current one', async () => {
    const f = fake(server([A, B]), { home: switched() });
    expect(await exec(f, orgsSwitch, { unset: false })).toBe(2);
    expect(f.transport.requests).toHaveLength(0);
    expect(await exec(f, orgsSwitch, { unset: true })).toBe(0);
    expect(JSON.parse(fs.readFileSync(f.ctx.config.file, 'utf8')).hosts[HOST].organization).toBeUndefined();
  });

  it('switch warns when ACCT_ORG overrides it', async () => {
    const f = fake(server([A, B]), { env: { ACCT_ORG: 'acme' } });
    expect(await exec(f, orgsSwitch, { org: 'beta', unset: false })).toBe(0);
    expect(f.io.stderr).toMatch(/ACCT_ORG=acme is set and takes precedence/);
  });

  it('list on a terminal: aligned columns and * on the current organization', async () => {
    const f = fake(server([A, B]), { tty: true, home: switched() });
    expect(await exec(f, orgsList)).toBe(0);
    const lines = f.io.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ {3}ID {26}NAME {6}SLUG {2}ROLE {4}CREATED$/);
    expect(lines[1]).toBe(`   ${A.id}  Org acme  acme  owner   2026-05-05 10:00 UTC`);
    expect(lines[2]).toBe(`*  ${B.id}  Org beta  beta  member  2026-05-05 10:00 UTC`);
  });

  it('list for scripts: tab-separated, no marker column; --json says which is current', async () => {
    const plain = fake(server([A, B]), { home: switched() });
    expect(await exec(plain, orgsList)).toBe(0);
    expect(plain.io.stdout.split('\n')[0]).toBe([A.id, 'Org acme', 'acme', 'owner', '2026-05-05 10:00 UTC'].join('\t'));
    const json = fake(server([A, B]), { home: switched(), globals: { json: true } });
    expect(await exec(json, orgsList)).toBe(0);
    expect(JSON.parse(json.io.stdout).map((o: { slug: string; current: boolean }) => [o.slug, o.current])).toEqual([['acme', false], ['beta', true]]);
  });

  it('list marks the only organization when none was switched to, and warns about a stale current one', async () => {
    const only = fake(server([A]), { globals: { json: true } });
    await exec(only, orgsList);
    expect(JSON.parse(only.io.stdout)[0].current).toBe(true);
    const stale = fake(server([A]), { home: switched() });
    expect(await exec(stale, orgsList)).toBe(0);
    expect(stale.io.stderr).toMatch(/not among yours any more/);
  });

  it('create posts the name and slug; a script gets the id', async () => {
    const f = fake((req) => ok({ ...org('01HZNEW0000000000000000000', 'acme-inc'), name: req.json.name }, 201));
    expect(await exec(f, orgsCreate, { name: 'Acme Inc', slug: 'acme-inc' })).toBe(0);
    expect(JSON.parse(f.transport.requests[0]!.body!.toString())).toEqual({ name: 'Acme Inc', slug: 'acme-inc' });
    expect(f.io.stdout).toBe('01HZNEW0000000000000000000\n');
  });

  it('create without a name is exit 2; a taken slug is the server message and exit 1', async () => {
    const none = fake(() => ok({}));
    expect(await exec(none, orgsCreate, { name: '  ' })).toBe(2);
    expect(none.transport.requests).toHaveLength(0);
    const taken = fake(() => fail(409, 'CONFLICT', 'That slug is taken'));
    expect(await exec(taken, orgsCreate, { name: 'Acme', slug: 'acme' })).toBe(1);
    expect(taken.io.stderr).toContain('409 CONFLICT: That slug is taken');
  });
});

describe('--limit and --paginate', () => {
  /** Projects p1…pN served `limit` at a time with keyset-style cursors and Link headers. */
  function paged(total: number, item: (id: string) => object = project): Route {
    return server([A], (req) => {
      const limit = Number(req.query.get('limit') ?? 20);
      const from = Number(req.query.get('cursor') ?? 0);
      const items = Array.from({ length: Math.max(0, Math.min(limit, total - from)) }, (_, i) => item(`p${from + i + 1}`));
      const next = from + limit < total ? { link: `<${HOST}${req.pathname}?limit=${limit}&cursor=${from + limit}>; rel="next"` } : undefined;
      return { ...ok(items), ...(next ? { headers: next } : {}) };
    });
  }
  const ids = (f: Fake) => JSON.parse(f.io.stdout).map((p: { id: string }) => p.id);

  it.each([
    ['by default the first 30, in one request', {}, 30, 1],
    ['--limit 5: five, asking for pages of five', { limit: '5' }, 5, 1],
    ['--limit 150: pages of 100 until 150', { limit: '150' }, 150, 2],
    ['--paginate: every one, pages of 100', { paginate: true }, 250, 3],
  ])('%s', async (_t, flags, count, requests) => {
    const f = fake(paged(250), { globals: { json: true } });
    expect(await exec(f, projectsList, { org: A.id, ...flags })).toBe(0);
    expect(ids(f)).toHaveLength(count);
    expect(ids(f)[count - 1]).toBe(`p${count}`);
    expect(f.transport.requests).toHaveLength(requests);
    expect(new URL(f.transport.requests[0]!.url).searchParams.get('limit')).toBe(String(Math.min(count, 100)));
  });

  it('on a terminal, a cut list says how to see more; a complete one does not', async () => {
    const member = (id: string) => ({ userId: id, email: `${id}@example.com`, fullName: id, handle: id, role: 'member', joinedAt: at });
    const cut = fake(paged(40, member), { tty: true });
    await exec(cut, membersList, { org: A.id, limit: '10' });
    expect(cut.io.stderr).toMatch(/Showing the first 10; see more with --limit N, or every one with --paginate/);
    const whole = fake(paged(10, member), { tty: true });
    await exec(whole, membersList, { org: A.id, limit: '10' });
    expect(whole.io.stderr).toBe('');
    expect(whole.io.stdout.trimEnd().split('\n')).toHaveLength(11);
  });

  it.each([
    [{ limit: '0' }, /--limit must be a whole number/],
    [{ limit: 'ten' }, /--limit must be a whole number/],
    [{ limit: '5', paginate: true }, /cannot be combined/],
    [{ sort: 'size' }, /--sort must be one of createdAt, -createdAt, name, -name/],
  ])('%j is a usage error and sends nothing', async (flags, message) => {
    const f = fake(paged(3));
    expect(await exec(f, projectsList, { org: A.id, ...flags })).toBe(2);
    expect(f.io.stderr).toMatch(message);
    expect(f.transport.requests).toHaveLength(0);
  });

  it('projects list passes --sort and --name to the server', async () => {
    const f = fake(paged(3));
    expect(await exec(f, projectsList, { org: A.id, sort: '-name', name: 'site' })).toBe(0);
    const q = new URL(f.transport.requests[0]!.url).searchParams;
    expect([q.get('sort'), q.get('name'), q.get('limit')]).toEqual(['-name', 'site', '30']);
  });
});

describe('acct projects create', () => {
  it('uses the current organization; out of credits is exit 7 with the hint to top up', async () => {
    const f = fake(server([A, B], () => fail(402, 'INSUFFICIENT_CREDITS', 'Creating a project costs 60 credits; the organization has 40')), { home: switched() });
    expect(await exec(f, projectsCreate, { name: 'Site' })).toBe(7);
    expect(orgOfLast(f)).toBe(B.id);
    expect(f.io.stderr).toContain('402 INSUFFICIENT_CREDITS: Creating a project costs 60 credits');
    expect(f.io.stderr).toMatch(/acct credits top-up AMOUNT/);
  });
});

describe('acct members', () => {
  const member = (userId: string, email: string, role = 'member') => ({ userId, email, fullName: `Name ${userId}`, handle: userId, role, joinedAt: at });

  it('list on a terminal: aligned table', async () => {
    const f = fake(server([A], () => ok([member('u1', 'owner@example.com', 'owner'), member('u22', 'b@example.com')])), { tty: true });
    expect(await exec(f, membersList, {})).toBe(0);
    expect(f.io.stdout).toBe(
      [
        'USER ID  EMAIL              NAME      ROLE    JOINED',
        'u1       owner@example.com  Name u1   owner   2026-05-05 10:00 UTC',
        'u22      b@example.com      Name u22  member  2026-05-05 10:00 UTC',
        '',
      ].join('\n'),
    );
  });

  it('invite posts email and role (member by default); a script gets the invitation id', async () => {
    const invitation = { id: 'inv_1', organization: { id: A.id, name: A.name, slug: A.slug }, email: 'ana@example.com', role: 'member', status: 'pending', invitedBy: 'u1', expiresAt: at, acceptedAt: null, createdAt: at };
    const f = fake(server([A], () => ok(invitation, 201)));
    expect(await exec(f, membersInvite, { email: 'ana@example.com' })).toBe(0);
    const req = f.transport.requests.at(-1)!;
    expect(req.method).toBe('POST');
    expect(new URL(req.url).pathname).toBe(`/api/user/organizations/${A.id}/members`);
    expect(JSON.parse(req.body!.toString())).toEqual({ email: 'ana@example.com', role: 'member' });
    expect(f.io.stdout).toBe('inv_1\n');
  });

  it.each([
    [{ email: 'ana@example.com', role: 'boss' }, /--role must be one of member, admin, owner/],
    [{ email: 'not-an-address' }, /an email address is required/],
    [{}, /an email address is required/],
  ])('invite %j is a usage error', async (opts, message) => {
    const f = fake(server([A]));
    expect(await exec(f, membersInvite, opts)).toBe(2);
    expect(f.io.stderr).toMatch(message);
    expect(f.transport.requests).toHaveLength(0);
  });

  it('invite above your role: exit 5 with the server message', async () => {
    const f = fake(server([A], () => fail(403, 'FORBIDDEN', 'Only owners can grant the owner role')));
    expect(await exec(f, membersInvite, { email: 'ana@example.com', role: 'owner' })).toBe(5);
    expect(f.io.stderr).toContain('403 FORBIDDEN: Only owners can grant the owner role');
  });

  it('remove by email looks the member up (any case) and deletes by user id', async () => {
    const f = fake(server([A], (req) => (req.method === 'DELETE' ? ok({ userId: 'u22', removed: true }) : ok([member('u1', 'owner@example.com', 'owner'), member('u22', 'b@example.com')]))));
    expect(await exec(f, membersRemove, { member: 'B@Example.com' })).toBe(0);
    const del = f.transport.requests.at(-1)!;
    expect([del.method, new URL(del.url).pathname]).toEqual(['DELETE', `/api/user/organizations/${A.id}/members/u22`]);
    expect(f.io.stderr).toContain(`✓ Removed b@example.com (u22) from Org acme (acme)`);
  });

  it('remove by user id sends one DELETE; an unknown email is exit 1 and deletes nothing', async () => {
    const byId = fake(() => ok({ userId: 'u22', removed: true }));
    expect(await exec(byId, membersRemove, { member: 'u22', org: A.id })).toBe(0);
    expect(byId.transport.requests.map((r) => r.method)).toEqual(['DELETE']);
    const unknown = fake(server([A], () => ok([member('u1', 'owner@example.com', 'owner')])));
    expect(await exec(unknown, membersRemove, { member: 'nobody@example.com' })).toBe(1);
    expect(unknown.io.stderr).toMatch(/nobody@example.com is not a member of Org acme/);
    expect(unknown.transport.requests.some((r) => r.method === 'DELETE')).toBe(false);
  });

  it('removing the last owner: the server 409 is exit 1', async () => {
    const f = fake(() => fail(409, 'CONFLICT', 'An organization must keep an owner'));
    expect(await exec(f, membersRemove, { member: 'u1', org: A.id })).toBe(1);
    expect(f.io.stderr).toContain('409 CONFLICT: An organization must keep an owner');
  });
});

describe('acct invitations', () => {
  const invitation = { id: 'inv_1', organization: { id: A.id, name: A.name, slug: A.slug }, email: 'me@example.com', role: 'admin', status: 'pending', invitedBy: 'u1', expiresAt: at, acceptedAt: null, createdAt: at };

  it('list shows the pending invitations to your address', async () => {
    const f = fake(() => ok([invitation]));
    expect(await exec(f, invitationsList)).toBe(0);
    expect(new URL(f.transport.requests[0]!.url).pathname).toBe('/api/user/invitations');
    expect(f.io.stdout).toBe(['inv_1', 'Org acme', 'acme', 'admin', '2026-05-05 10:00 UTC'].join('\t') + '\n');
  });

  it('an unverified address: exit 5, with how to verify or use the mailed token', async () => {
    const f = fake(() => fail(403, 'EMAIL_NOT_VERIFIED', 'Verify your email address first'));
    expect(await exec(f, invitationsList)).toBe(5);
    expect(f.io.stderr).toMatch(/acct invitations accept ID --token T/);
  });

  it.each([
    ['an id, no token', { invitation: 'inv_1' }, '/api/user/invitations/inv_1/accept', {}],
    ['an id and --token', { invitation: 'inv_1', token: 'bm_tok' }, '/api/user/invitations/inv_1/accept', { token: 'bm_tok' }],
    ['the mailed link', { invitation: `${HOST}/api/invitations/inv_2?token=bm_link` }, '/api/user/invitations/inv_2/accept', { token: 'bm_link' }],
  ])('accept with %s', async (_t, opts, pathname, body) => {
    const f = fake(() => ok({ ...A, role: 'admin' }));
    expect(await exec(f, invitationsAccept, opts)).toBe(0);
    const req = f.transport.requests[0]!;
    expect([req.method, new URL(req.url).pathname]).toEqual(['POST', pathname]);
    expect(JSON.parse(req.body!.toString())).toEqual(body);
    expect(f.io.stderr).toContain('✓ Joined Org acme (acme) as admin');
  });

  it.each([
    [{}, /which invitation\?/],
    [{ invitation: 'inv_1', token: ' ' }, /--token is empty/],
    [{ invitation: `${HOST}/api/user/me` }, /not an invitation link/],
    [{ invitation: `${HOST}/api/invitations/inv_2?token=bm_a`, token: 'bm_b' }, /differs from the token in the link/],
  ])('accept %j is a usage error', async (opts, message) => {
    const f = fake(() => ok({}));
    expect(await exec(f, invitationsAccept, opts)).toBe(2);
    expect(f.io.stderr).toMatch(message);
    expect(f.transport.requests).toHaveLength(0);
  });

  it('a wrong invitation token: exit 4, with a hint about the invitation rather than the credential', async () => {
    const f = fake(() => fail(401, 'INVALID_TOKEN', 'Invalid or expired invitation token'));
    expect(await exec(f, invitationsAccept, { invitation: 'inv_1', token: 'bm_wrong' })).toBe(4);
    expect(f.io.stderr).toMatch(/hint: the invitation token is wrong/);
    expect(f.io.stderr).not.toMatch(/acct login/);
  });

  it('accepting twice: the server 409 is exit 1', async () => {
    const f = fake(() => fail(409, 'CONFLICT', 'This invitation was already accepted'));
    expect(await exec(f, invitationsAccept, { invitation: 'inv_1' })).toBe(1);
    expect(f.io.stderr).toContain('409 CONFLICT');
  });
});

describe('acct credits', () => {
  const sub = { plan: 'free', seats: 5, includedCredits: 100, creditBalance: 40 };
  const ledger = [
    { id: 'pay_2', kind: 'debit', amount: -60, description: 'projects.create', balanceAfter: 40, createdAt: '2026-05-05T11:00:00.000Z' },
    { id: 'pay_1', kind: 'top-up', amount: 100, description: 'Included credits of the free plan', balanceAfter: 100, createdAt: at },
  ];
  const billing: Route = server([A], (req) => (req.pathname.endsWith('/subscription') ? ok(sub) : ok(ledger)));

  it('on a terminal: the balance line, then the ledger aligned, newest first', async () => {
    const f = fake(billing, { tty: true });
    expect(await exec(f, creditsShow, {})).toBe(0);
    expect(f.io.stdout).toBe(
      [
        'Org acme (acme): 40 credits · plan free (100 included) · 5 seats',
        '',
        'DATE                  KIND    AMOUNT  BALANCE  DESCRIPTION                        ID',
        '2026-05-05 11:00 UTC  debit   -60     40       projects.create                    pay_2',
        '2026-05-05 10:00 UTC  top-up  +100    100      Included credits of the free plan  pay_1',
        '',
      ].join('\n'),
    );
  });

  it('--json: the subscription and the ledger in one object', async () => {
    const f = fake(billing, { globals: { json: true } });
    expect(await exec(f, creditsShow, { limit: '2' })).toBe(0);
    expect(JSON.parse(f.io.stdout)).toEqual({ organizationId: A.id, ...sub, ledger });
    const payments = f.transport.requests.find((r) => r.url.includes('/payments'))!;
    expect(new URL(payments.url).searchParams.get('limit')).toBe('2');
  });

  it('a key without payments:read: exit 5 naming the scope', async () => {
    const f = fake(server([A], () => fail(403, 'INSUFFICIENT_SCOPE', 'missing scope', { 'x-accepted-scopes': 'payments:read' })));
    expect(await exec(f, creditsShow, {})).toBe(5);
    expect(f.io.stderr).toMatch(/--scope payments:read/);
  });
});

describe('acct credits top-up', () => {
  const paid = (replayed = false) =>
    server([A], () => ({ ...ok({ id: 'pay_9', amount: 50, balanceAfter: 150 }, 201), ...(replayed ? { headers: { 'idempotent-replayed': 'true' } } : {}) }));

  it('without a key: generates a UUID, sends it as Idempotency-Key and prints it on stderr', async () => {
    const f = fake(paid(), { tty: true });
    expect(await exec(f, topUp, { amount: '50', description: 'May' })).toBe(0);
    const req = f.transport.requests.at(-1)!;
    expect(JSON.parse(req.body!.toString())).toEqual({ amount: 50, description: 'May' });
    const key = req.headers['idempotency-key']!;
    expect(key).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(f.io.stderr).toContain(`Idempotency key: ${key}`);
    expect(f.io.stdout).toBe('✓ Added 50 credits to Org acme (acme) (pay_9); balance 150\n');
  });

  it('two runs generate different keys', async () => {
    const keys = [];
    for (let i = 0; i < 2; i++) {
      const f = fake(paid());
      await exec(f, topUp, { amount: '50' });
      keys.push(f.transport.requests.at(-1)!.headers['idempotency-key']);
    }
    expect(keys[0]).not.toBe(keys[1]);
  });

  it('with --idempotency-key: sends it as given; a replay says nothing was added', async () => {
    const f = fake(paid(true), { tty: true });
    expect(await exec(f, topUp, { amount: '50', idempotencyKey: 'may-budget-1' })).toBe(0);
    expect(f.transport.requests.at(-1)!.headers['idempotency-key']).toBe('may-budget-1');
    expect(f.io.stderr).not.toContain('Idempotency key:');
    expect(f.io.stdout).toMatch(/Already done: this key added 50 credits .* nothing added now/);
  });

  it('--json carries the key and whether it was a replay; a script gets the payment id', async () => {
    const json = fake(paid(true), { globals: { json: true } });
    expect(await exec(json, topUp, { amount: '50', idempotencyKey: 'k' })).toBe(0);
    expect(JSON.parse(json.io.stdout)).toEqual({ id: 'pay_9', amount: 50, balanceAfter: 150, idempotencyKey: 'k', replayed: true });
    const generated = fake(paid(), { globals: { json: true } });
    expect(await exec(generated, topUp, { amount: '50' })).toBe(0);
    const key = generated.transport.requests.at(-1)!.headers['idempotency-key'];
    expect(JSON.parse(generated.io.stdout).idempotencyKey).toBe(key);
    expect(generated.io.stderr).toContain(`Idempotency key: ${key}`);
    const plain = fake(paid());
    expect(await exec(plain, topUp, { amount: '50' })).toBe(0);
    expect(plain.io.stdout).toBe('pay_9\n');
  });

  it.each([
    [{ amount: '0' }, /AMOUNT must be a whole number of credits from 1 to 1000000, not 0/],
    [{ amount: '1000001' }, /from 1 to 1000000/],
    [{ amount: '2.5' }, /whole number/],
    [{ amount: '-5' }, /whole number/],
    [{}, /AMOUNT must be/],
    [{ amount: '5', idempotencyKey: 'has space' }, /--idempotency-key must be 1 to 255 printable ASCII/],
    [{ amount: '5', idempotencyKey: 'x'.repeat(256) }, /--idempotency-key/],
    [{ amount: '5', description: '' }, /--description must be 1 to 200/],
  ])('%j is a usage error and sends nothing', async (opts, message) => {
    const f = fake(paid());
    expect(await exec(f, topUp, opts)).toBe(2);
    expect(f.io.stderr).toMatch(message);
    expect(f.transport.requests).toHaveLength(0);
  });

  it('a server error leaves the outcome unknown: the hint says to retry with the same key', async () => {
    const f = fake(server([A], () => fail(503, 'UNAVAILABLE', 'try later')));
    expect(await exec(f, topUp, { amount: '50' })).toBe(1);
    const key = f.transport.requests.at(-1)!.headers['idempotency-key'];
    expect(f.io.stderr).toContain(`hint: retry with --idempotency-key ${key}: it credits at most once`);
  });

  it('an admin-only action for a member: exit 5; the same key with another amount: 409 exit 1', async () => {
    const forbidden = fake(server([A], () => fail(403, 'FORBIDDEN', 'Your role does not allow payments:write')));
    expect(await exec(forbidden, topUp, { amount: '50' })).toBe(5);
    const conflict = fake(server([A], () => fail(409, 'CONFLICT', 'This Idempotency-Key was used with another request')));
    expect(await exec(conflict, topUp, { amount: '51', idempotencyKey: 'k' })).toBe(1);
  });
});

describe('completion knows the tenancy commands', () => {
  it.each(['bash', 'zsh', 'fish'])('%s', async (shell) => {
    const f = fake(() => ok({}));
    expect(await exec(f, completion, { shell, program: await createProgram() })).toBe(0);
    for (const word of ['switch', 'members', 'invite', 'invitations', 'accept', 'credits', 'top-up', 'idempotency-key', 'paginate', 'sort', 'unset']) expect(f.io.stdout).toContain(word);
  });

  it('bash completes `acct credits t` to top-up and `acct orgs s` to switch', async () => {
    const f = fake(() => ok({}));
    await exec(f, completion, { shell: 'bash', program: await createProgram() });
    expect(f.io.stdout).toMatch(/\["credits"\]="show top-up /);
    expect(f.io.stdout).toMatch(/\["credits show"\]="[^"]*--org[^"]*--paginate/);
    expect(f.io.stdout).toMatch(/\["orgs"\]="list create switch/);
    expect(f.io.stdout).toMatch(/\["credits top-up"\]="[^"]*--idempotency-key/);
  });
});
