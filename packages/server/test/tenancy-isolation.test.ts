/**
 * Tenant isolation, generated from the route table: every route with `tenant: true` is called
 * by six callers that must not get through, and the database must be byte-for-byte the same
 * afterwards. A route added to ROUTES tomorrow is covered without touching this file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLE_SCOPES, ROUTES, SCOPE_NAMES, type RouteContract, type Scope } from '@acct/shared';
import { newKey, newUser, startServer, startSmtp, type RunningServer, type SmtpCatcher, type TestUser } from './harness.js';
import { api, expectEnvelope, expectNoServerErrors } from './support.js';
import { dumpDb, joinOrg, orgPath, sqlOn } from './tenancy-support.js';

type Named = RouteContract & { name: string };
const TENANT: Named[] = Object.entries(ROUTES as Record<string, RouteContract>).filter(([, r]) => r.tenant).map(([name, r]) => ({ ...r, name }));

/** A body each route would accept, so that only authorisation stands between the call and a change. */
const BODIES: Record<string, unknown> = {
  createProject: { name: 'Intruder project' },
  updateProject: { name: 'Renamed by intruder' },
  updateOrganization: { name: 'Renamed by intruder' },
  inviteMember: { email: 'intruder-invite@example.com', role: 'owner' },
  updateMember: { role: 'owner' },
  createTeam: { name: 'Intruder team' },
  updateTeam: { name: 'Renamed by intruder' },
  addTeamMember: { userId: 'placeholder' },
  createPayment: { amount: 1000 },
  updateSubscription: { plan: 'business', seats: 50 },
  createWebhook: { url: 'https://intruder.example.com/hook', events: ['project.created'] },
  updateWebhook: { url: 'https://intruder.example.com/hook' },
  rotateWebhookSecret: { overlapSeconds: 0 },
  createWebhookRelay: { events: ['project.created'] },
  pollWebhookRelay: { wait: 0 },
  reportWebhookRelayResult: { statusCode: 200, durationMs: 1 },
};

let server: RunningServer;
let smtp: SmtpCatcher;
let owner: TestUser; // owns the victim organization
let outsider: TestUser; // member of another organization only
let member: TestUser; // role `member` in the victim organization
let dual: TestUser; // owner in both; their key is pinned to their own organization
let removed: TestUser; // was an owner, then removed
let teamAdmin: TestUser; // role `member` in the victim organization, admin of its team
let victim: string;
const ids: Record<string, string> = {};
const keys: { pinned?: string; removed?: string; member?: string } = {};
const withoutScope = new Map<Scope, string>();

beforeAll(async () => {
  smtp = await startSmtp();
  server = await startServer({ SMTP_URL: smtp.url, ACCT_RATE_LIMITS: 'off' });
  [owner, outsider, member, dual, removed, teamAdmin] = await Promise.all(['owner', 'outsider', 'member', 'dual', 'removed', 'team-admin'].map((l) => newUser(server.url, l)));
  victim = owner.organizationId;
  await joinOrg(server, smtp, owner, victim, member, 'member');
  await joinOrg(server, smtp, owner, victim, teamAdmin, 'member');
  await joinOrg(server, smtp, owner, victim, dual, 'owner');
  await joinOrg(server, smtp, owner, victim, removed, 'owner');

  const project = await api(server.url, 'POST', orgPath(victim, '/projects'), { cookie: owner.cookie, body: { name: 'Secret project' } });
  const team = await api(server.url, 'POST', orgPath(victim, '/teams'), { cookie: owner.cookie, body: { name: 'Secret team', slug: 'secret' } });
  ids['projectId'] = project.body.data.id;
  ids['teamId'] = team.body.data.id;
  ids['userId'] = member.id;
  expectEnvelope(await api(server.url, 'POST', orgPath(victim, `/teams/${ids['teamId']}/members`), { cookie: owner.cookie, body: { userId: member.id } }), 201, 'OK');
  expectEnvelope(await api(server.url, 'POST', orgPath(victim, `/teams/${ids['teamId']}/members`), { cookie: owner.cookie, body: { userId: teamAdmin.id, role: 'admin' } }), 201, 'OK');

  const all = [...SCOPE_NAMES];
  keys.pinned = (await newKey(server.url, dual.cookie, all, { metadata: { organizationId: dual.organizationId } })).key;
  keys.removed = (await newKey(server.url, removed.cookie, all)).key;
  keys.member = (await newKey(server.url, member.cookie, all, { metadata: { organizationId: victim } })).key;
  expectEnvelope(await api(server.url, 'DELETE', orgPath(victim, `/members/${removed.id}`), { cookie: owner.cookie }), 200, 'OK');
  const pending = await api(server.url, 'POST', orgPath(victim, '/members'), { cookie: owner.cookie, body: { email: 'pending-invitee@example.com', role: 'admin' } });
  expectEnvelope(pending, 201, 'OK');
  ids['invitationId'] = pending.body.data.id;
  // A webhook that no change triggers, and a delivery already done: the worker leaves both alone while the matrix dumps.
  const hook = await api(server.url, 'POST', orgPath(victim, '/webhooks'), { cookie: owner.cookie, body: { url: 'https://hooks.example.com/victim', events: ['webhook.test'] } });
  expectEnvelope(hook, 201, 'OK');
  ids['webhookId'] = hook.body.data.id;
  ids['deliveryId'] = 'DELIVERYISOLATION0000000001';
  const at = new Date().toISOString();
  await sqlOn(server, `INSERT INTO webhook_deliveries (id, endpoint_id, organization_id, message_id, event_type, payload, status, attempts, created_at, delivered_at, last_status_code)
    VALUES (?, ?, ?, 'msg_isolation', 'webhook.test', '{}', 'delivered', 1, ?, ?, 200)`, [ids['deliveryId'], ids['webhookId'], victim, at, at]);

  const scopes = [...new Set(TENANT.map((r) => r.scope).filter((s): s is Scope => Boolean(s)))];
  for (const s of scopes) withoutScope.set(s, (await newKey(server.url, owner.cookie, all.filter((x) => x !== s))).key);
});
afterAll(async () => {
  expectNoServerErrors(server);
  await server.stop();
  await smtp.close();
});

function fill(route: Named, organizationId: string): string {
  const values: Record<string, string> = { ...ids, organizationId };
  return route.path.replace(/:(\w+)/g, (_, p: string) => encodeURIComponent(values[p] ?? `no-such-${p}`));
}

function bodyOf(route: Named): unknown {
  if (!route.body) return undefined;
  if (route.name === 'addTeamMember') return { userId: owner.id };
  return BODIES[route.name] ?? {};
}

interface Caller {
  name: string;
  credential: () => { cookie?: string; apiKey?: string };
  /** The answer a route must give this caller, or null when the caller may use the route. */
  expected: (route: Named) => { status: number; code: string } | null;
}

const MISMATCH = { status: 403, code: 'ORGANIZATION_MISMATCH' };
const FORBIDDEN = { status: 403, code: 'FORBIDDEN' };
/** Keys cannot use session-only routes at all (deleting or leaving an organization). */
const keyOnRoute = (route: Named, otherwise: { status: number; code: string }) => (route.auth === 'session' || route.auth === 'delegated' ? FORBIDDEN : otherwise);

const CALLERS: Caller[] = [
  { name: 'a member of another organization', credential: () => ({ cookie: outsider.cookie }), expected: () => MISMATCH },
  { name: 'a key pinned to another organization', credential: () => ({ apiKey: keys.pinned! }), expected: (r) => keyOnRoute(r, MISMATCH) },
  { name: "a removed member's key", credential: () => ({ apiKey: keys.removed! }), expected: (r) => keyOnRoute(r, MISMATCH) },
  {
    name: 'a role without the permission',
    credential: () => ({ cookie: member.cookie }),
    expected: (r) => (r.scope && !ROLE_SCOPES.member.has(r.scope) ? FORBIDDEN : null),
  },
  {
    name: "a key holding every scope, of a member whose role lacks the permission",
    credential: () => ({ apiKey: keys.member! }),
    expected: (r) => (r.auth === 'session' || r.auth === 'delegated' ? FORBIDDEN : r.scope && !ROLE_SCOPES.member.has(r.scope) ? FORBIDDEN : null),
  },
  {
    // Team admins manage their team's keys (teamAdmin routes), and nothing else beyond their role.
    name: 'an admin of the team whose organization role lacks the permission',
    credential: () => ({ cookie: teamAdmin.cookie }),
    expected: (r) => (r.teamAdmin ? null : r.scope && !ROLE_SCOPES.member.has(r.scope) ? FORBIDDEN : null),
  },
  {
    name: 'a token without the scope',
    credential: () => ({ apiKey: 'scoped' }),
    expected: (r) => (r.scope ? keyOnRoute(r, { status: 403, code: 'INSUFFICIENT_SCOPE' }) : null),
  },
];

describe('tenant isolation matrix', () => {
  it('covers the tenant routes of every area', () => {
    const areas = new Set(TENANT.map((r) => r.tag));
    for (const area of ['organizations', 'projects', 'members', 'teams', 'payments', 'subscription', 'webhooks', 'audit']) expect(areas).toContain(area);
    for (const r of TENANT) expect(r.path, r.name).toContain('/organizations/:organizationId');
  });

  for (const caller of CALLERS) {
    it(`refuses ${caller.name} on every tenant route and changes nothing`, async () => {
      const checked: string[] = [];
      for (const route of TENANT) {
        const want = caller.expected(route);
        if (!want) continue;
        const credential = caller.credential();
        if (credential.apiKey === 'scoped') credential.apiKey = withoutScope.get(route.scope!)!;
        const before = await dumpDb(server);
        const res = await api(server.url, route.method, fill(route, victim), {
          ...credential, body: bodyOf(route), headers: { 'idempotency-key': `isolation-${route.name}` },
        });
        expect({ route: route.name, status: res.status, code: res.body?.code }).toEqual({ route: route.name, ...want });
        expect(res.body.data).toBeNull();
        if (want.code === 'INSUFFICIENT_SCOPE') expect(res.headers.get('x-accepted-scopes')).toBe(route.scope);
        expect(await dumpDb(server), `${route.name} changed the database`).toEqual(before);
        checked.push(route.name);
      }
      expect(checked.length).toBeGreaterThan(0);
    });
  }

  it("answers 404 for another organization's resource inside one's own organization path, and changes nothing", async () => {
    // The 404 comes from the handler, after body validation: only routes with a known valid body can reach it.
    const nested = TENANT.filter((r) => r.path.replace(':organizationId', '').includes(':') && (!r.body || r.name in BODIES));
    expect(nested.length).toBeGreaterThan(10);
    for (const route of nested) {
      const before = await dumpDb(server);
      const res = await api(server.url, route.method, fill(route, outsider.organizationId), { cookie: outsider.cookie, body: bodyOf(route) });
      expect({ route: route.name, status: res.status, code: res.body?.code }).toEqual({ route: route.name, status: 404, code: 'NOT_FOUND' });
      expect(await dumpDb(server), `${route.name} changed the database`).toEqual(before);
    }
  });

  it('still lets the owner in, so the refusals above are about the caller', async () => {
    const res = await api(server.url, 'GET', orgPath(victim, `/projects/${ids['projectId']}`), { cookie: owner.cookie });
    expectEnvelope(res, 200, 'OK');
    const asDual = await api(server.url, 'GET', orgPath(dual.organizationId, '/projects'), { apiKey: keys.pinned! });
    expectEnvelope(asDual, 200, 'OK');
  });
});
