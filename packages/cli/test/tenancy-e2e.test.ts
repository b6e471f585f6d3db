import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { email, PASSWORD, startServer, startSmtp, tamper, withTestDb, type RunningServer, type SmtpCatcher } from '../../server/test/harness.js';
import { linkOf, nextMail } from '../../server/test/support.js';
import { INVITE_SUBJECT } from '../../server/test/tenancy-support.js';
import { acct, tempHome, type Home, type Result } from './helpers.js';

// Two project creations exhaust the 100 credits an organization starts with.
let server: RunningServer;
let smtp: SmtpCatcher;
beforeAll(async () => {
  smtp = await startSmtp();
  server = await startServer({ SMTP_URL: smtp.url, ACCT_CREDIT_COSTS: JSON.stringify({ 'projects.create': 60 }) });
});
afterAll(async () => {
  await server?.stop();
  await smtp?.close();
});

/** One person's machine: its own HOME and config, talking to the test server. */
interface Person {
  home: Home;
  address: string;
  run(...args: string[]): Promise<Result>;
  /** Runs and expects exit 0; returns stdout parsed as JSON when `--json` is among the args. */
  ok(...args: string[]): Promise<any>;
}

async function person(label: string): Promise<Person> {
  const home = tempHome({ ACCT_HOST: server.url });
  const address = email(label);
  const run = (...args: string[]) => acct(args, home.env);
  const ok = async (...args: string[]) => {
    const r = await run(...args);
    expect(r.code, `acct ${args.join(' ')}\n${r.stderr}`).toBe(0);
    return args.includes('--json') ? JSON.parse(r.stdout) : r.stdout;
  };
  const up = await acct(['signup', '--email', address, '--name', `Cli ${label}`, '--password-stdin'], home.env, `${PASSWORD}\n`);
  expect(up.code, up.stderr).toBe(0);
  const login = await acct(['login', '--email', address, '--password-stdin'], home.env, `${PASSWORD}\n`);
  expect(login.code, login.stderr).toBe(0);
  return { home, address, run, ok };
}

const slug = `acme-${Date.now().toString(36)}`;
const state: { owner?: Person; admin?: Person; member?: Person; personal?: string; acme?: string } = {};
const owner = () => state.owner!;

describe('organizations, members, invitations and credits through the CLI', () => {
  it('orgs create, then a command without --org asks which one (exit 2) until orgs switch picks it', async () => {
    state.owner = await person('owner');
    const [personal] = await owner().ok('orgs', 'list', '--json');
    state.personal = personal.id;
    expect(personal.current).toBe(true); // the only one

    const created = await owner().ok('orgs', 'create', 'Acme Inc', '--slug', slug);
    state.acme = created.trim();
    const ambiguous = await owner().run('projects', 'list');
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain(state.acme);
    expect(ambiguous.stderr).toContain(state.personal);
    expect(ambiguous.stderr).toMatch(/acct orgs switch/);

    const unknown = await owner().run('orgs', 'switch', 'no-such-org');
    expect(unknown.code).toBe(2);

    const switched = await owner().run('orgs', 'switch', slug);
    expect(switched.code, switched.stderr).toBe(0);
    expect(switched.stderr).toContain(`Switched to Acme Inc (${slug}) on ${server.url}`);
    const config = JSON.parse(fs.readFileSync(path.join(owner().home.configDir, 'config.json'), 'utf8'));
    expect(config.hosts[server.url].organization).toEqual({ id: state.acme, slug, name: 'Acme Inc' });
    const orgs = await owner().ok('orgs', 'list', '--json');
    expect(orgs.map((o: { id: string; current: boolean }) => [o.id, o.current])).toEqual(
      expect.arrayContaining([[state.acme, true], [state.personal, false]]),
    );
  });

  it('projects go to the current organization; --org and ACCT_ORG override it', async () => {
    expect((await owner().ok('projects', 'create', '--name', 'Site', '--description', 'Our site')).trim()).toMatch(/^\w+$/);
    const inAcme = await owner().ok('projects', 'list', '--json');
    expect(inAcme.map((p: { name: string; organizationId: string }) => [p.name, p.organizationId])).toEqual([['Site', state.acme]]);
    expect(await owner().ok('projects', 'list', '--org', state.personal!, '--json')).toEqual([]);
    const viaEnv = await acct(['projects', 'list', '--json'], { ...owner().home.env, ACCT_ORG: state.personal! });
    expect(viaEnv.code, viaEnv.stderr).toBe(0);
    expect(JSON.parse(viaEnv.stdout)).toEqual([]);
    const bySlug = await owner().ok('projects', 'list', '--org', slug, '--json');
    expect(bySlug).toHaveLength(1);
  });

  it('out of credits: the second project is 402, exit 7, with the server message on stderr', async () => {
    const r = await owner().run('projects', 'create', '--name', 'Blog');
    expect(r.code).toBe(7);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/402 INSUFFICIENT_CREDITS: .*60/);
    expect(r.stderr).toMatch(/acct credits top-up/);
  });

  it('credits: balance, plan, seats and the ledger, newest first', async () => {
    const credits = await owner().ok('credits', '--json');
    expect(credits).toMatchObject({ organizationId: state.acme, plan: 'free', seats: 5, includedCredits: 100, creditBalance: 40 });
    expect(credits.ledger.map((e: { kind: string; amount: number; balanceAfter: number }) => [e.kind, e.amount, e.balanceAfter])).toEqual([
      ['debit', -60, 40],
      ['top-up', 100, 100],
    ]);
    const limited = await owner().ok('credits', '--limit', '1', '--json');
    expect(limited.ledger).toHaveLength(1);
    const text = await owner().ok('credits');
    expect(text.split('\n')[0]).toBe(`Acme Inc (${slug}): 40 credits · plan free (100 included) · 5 seats`);
  });

  it('top-up prints the key it generated; retrying with it credits once', async () => {
    const first = await owner().run('credits', 'top-up', '100', '--description', 'May budget');
    expect(first.code, first.stderr).toBe(0);
    const key = /Idempotency key: (\S+)/.exec(first.stderr)?.[1];
    expect(key).toMatch(/^[0-9a-f-]{36}$/);
    const paymentId = first.stdout.trim();

    const retry = await owner().run('credits', 'top-up', '100', '--description', 'May budget', '--idempotency-key', key!, '--json');
    expect(retry.code, retry.stderr).toBe(0);
    expect(JSON.parse(retry.stdout)).toEqual({ id: paymentId, amount: 100, balanceAfter: 140, idempotencyKey: key, replayed: true });
    const again = await owner().run('credits', 'top-up', '100', '--description', 'May budget', '--idempotency-key', key!);
    expect(again.stdout.trim()).toBe(paymentId);
    expect(again.stderr).toMatch(/replayed/);

    const credits = await owner().ok('credits', '--json');
    expect(credits.creditBalance).toBe(140);
    expect(credits.ledger.filter((e: { kind: string; description: string }) => e.description === 'May budget')).toHaveLength(1);

    const changed = await owner().run('credits', 'top-up', '5', '--idempotency-key', key!);
    expect(changed.code).toBe(1);
    expect(changed.stderr).toMatch(/409 CONFLICT/);

    // Now the second project fits.
    await owner().ok('projects', 'create', '--name', 'Blog');
    const sorted = await owner().ok('projects', 'list', '--sort', '-name', '--json');
    expect(sorted.map((p: { name: string }) => p.name)).toEqual(['Site', 'Blog']);
    const filtered = await owner().ok('projects', 'list', '--name', 'BL', '--json');
    expect(filtered.map((p: { name: string }) => p.name)).toEqual(['Blog']);
    const first1 = await owner().ok('projects', 'list', '--limit', '1', '--json');
    expect(first1.map((p: { name: string }) => p.name)).toEqual(['Site']);
  });

  it('a verified invitee lists their invitations and accepts by id', async () => {
    state.admin = await person('admin');
    const invitationId = (await owner().ok('members', 'invite', state.admin.address, '--role', 'admin')).trim();

    const unverified = await state.admin.run('invitations', 'list');
    expect(unverified.code).toBe(5);
    expect(unverified.stderr).toContain('EMAIL_NOT_VERIFIED');
    await withTestDb(server, (db) => db.run('UPDATE users SET email_verified_at = ? WHERE email = ?', [new Date().toISOString(), state.admin!.address]));

    const mine = await state.admin.ok('invitations', 'list', '--json');
    expect(mine.map((i: { id: string; role: string; organization: { slug: string } }) => [i.id, i.role, i.organization.slug])).toEqual([[invitationId, 'admin', slug]]);
    const joined = await state.admin.run('invitations', 'accept', invitationId);
    expect(joined.code, joined.stderr).toBe(0);
    expect(joined.stderr).toContain(`Joined Acme Inc (${slug}) as admin`);
    expect(await state.admin.ok('invitations', 'list', '--json')).toEqual([]);

    // Two organizations now: the current one is chosen per machine.
    expect((await state.admin.run('members', 'list')).code).toBe(2);
    await state.admin.ok('orgs', 'switch', slug);
    const members = await state.admin.ok('members', 'list', '--json');
    expect(members.map((m: { email: string; role: string }) => [m.email, m.role]).sort()).toEqual([[state.admin.address, 'admin'], [owner().address, 'owner']].sort());
  });

  it('someone unverified accepts with the link from the mail; a wrong --token is exit 4', async () => {
    state.member = await person('member');
    await owner().ok('members', 'invite', state.member.address);
    const link = linkOf(await nextMail(smtp, state.member.address, INVITE_SUBJECT));
    const id = link.pathname.split('/').at(-1)!;
    const token = link.searchParams.get('token')!;

    const wrong = await state.member.run('invitations', 'accept', id, '--token', tamper(token));
    expect(wrong.code).toBe(4);
    expect(wrong.stderr).toMatch(/INVALID_TOKEN[\s\S]*hint: the invitation token is wrong/);
    const joined = await state.member.run('invitations', 'accept', link.toString());
    expect(joined.code, joined.stderr).toBe(0);
    expect(joined.stderr).toContain(`as member`);
    const listed = await state.member.ok('projects', 'list', '--org', slug, '--json');
    expect(listed).toHaveLength(2);
    // A member may read the ledger but not top up.
    expect((await state.member.ok('credits', '--org', slug, '--json')).creditBalance).toBe(80);
    const denied = await state.member.run('credits', 'top-up', '5', '--org', slug);
    expect(denied.code).toBe(5);
  });

  it('members list, then remove by email: the removed member is locked out (exit 5)', async () => {
    const before = await owner().ok('members', 'list', '--json');
    expect(before.map((m: { email: string }) => m.email).sort()).toEqual([owner().address, state.admin!.address, state.member!.address].sort());
    const tsv = await owner().ok('members', 'list');
    expect(tsv.trim().split('\n')).toHaveLength(3);
    expect(tsv.split('\n')[0].split('\t')).toHaveLength(5);

    const removed = await owner().run('members', 'remove', state.member!.address);
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stderr).toMatch(/Removed .* from Acme Inc/);
    const after = await owner().ok('members', 'list', '--json');
    expect(after.map((m: { email: string }) => m.email)).not.toContain(state.member!.address);

    const locked = await state.member!.run('projects', 'list', '--org', state.acme!);
    expect(locked.code).toBe(5);
    expect(locked.stderr).toContain('ORGANIZATION_MISMATCH');
    const gone = await owner().run('members', 'remove', state.member!.address);
    expect(gone.code).toBe(1);
  });

  it('a current organization you were removed from says so (exit 5)', async () => {
    await state.admin!.ok('orgs', 'switch', slug);
    const adminId = (await owner().ok('members', 'list', '--json')).find((m: { email: string }) => m.email === state.admin!.address).userId;
    await owner().ok('members', 'remove', adminId);
    const r = await state.admin!.run('projects', 'list');
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/ORGANIZATION_MISMATCH.*current organization .* set by `acct orgs switch`/);
    const orgs = await state.admin!.run('orgs', 'list');
    expect(orgs.stderr).toMatch(/not among yours any more/);
  });
});
