/**
 * The audit log: each security-relevant change writes exactly one row, in its own transaction,
 * naming actor, credential, target, organization, IP, user agent, request id and outcome; the
 * organization and user logs page and filter; no row holds a secret; retention prunes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, newKey, newUser, PASSWORD, signIn, startServer, startSmtp, type RunningServer, type SmtpCatcher, type TestUser } from './harness.js';
import { api, expectEnvelope, expectNoServerErrors, expectValidationError, nextMail, RESET_SUBJECT, tokenOf } from './support.js';
import { joinOrg, orgPath, sqlOn } from './tenancy-support.js';
import { answerConsent, pkce, register, tokenRequest } from './oauth-support.js';

let server: RunningServer;
let smtp: SmtpCatcher;
let owner: TestUser;
/** Every secret the tests below were given: none may appear in any audit row. */
const secrets: string[] = [];

beforeAll(async () => {
  smtp = await startSmtp();
  server = await startServer({ SMTP_URL: smtp.url, ACCT_WEBHOOKS_ALLOW_PRIVATE: 'true' });
  owner = await newUser(server.url, 'audited');
  secrets.push(owner.password, owner.cookie.split('=')[1]!);
});
afterAll(async () => {
  expectNoServerErrors(server);
  await server.stop();
  await smtp.close();
});

type Row = Record<string, any>;
const rowsOf = (where: string, params: unknown[]) => sqlOn(server, `SELECT * FROM audit_log WHERE ${where} ORDER BY id`, params) as Promise<Row[]>;

/** How many rows each action wrote since `since` (an audit id), for an organization or a user. */
async function countsSince(since: string, column: 'organization_id' | 'user_id', id: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const r of await rowsOf(`${column} = ? AND id > ?`, [id, since])) counts[r['action']] = (counts[r['action']] ?? 0) + 1;
  return counts;
}

async function lastId(): Promise<string> {
  const [row] = await sqlOn(server, 'SELECT MAX(id) AS id FROM audit_log');
  return String(row?.['id'] ?? '');
}

describe('audit rows', () => {
  it('each change writes exactly one row, with actor, credential, target, IP, user agent and request id', async () => {
    const o = (rest: string) => orgPath(owner.organizationId, rest);
    const as = { cookie: owner.cookie };
    const start = await lastId();

    const key = await api(server.url, 'POST', '/api/auth/api-key/create', { ...as, headers: { 'user-agent': 'audit-test/1.0', 'x-request-id': 'audit-req-1' }, body: { name: 'ci', scopes: ['projects:read'], metadata: { organizationId: owner.organizationId } } });
    expectEnvelope(key, 200, 'OK');
    secrets.push(key.body.data.key);
    expectEnvelope(await api(server.url, 'POST', '/api/auth/api-key/update', { ...as, body: { id: key.body.data.id, name: 'ci-renamed' } }), 200, 'OK');
    const rotated = await api(server.url, 'POST', '/api/auth/api-key/rotate', { ...as, body: { id: key.body.data.id } });
    expectEnvelope(rotated, 200, 'OK');
    secrets.push(rotated.body.data.key);
    expectEnvelope(await api(server.url, 'POST', '/api/auth/api-key/delete', { ...as, body: { id: key.body.data.id } }), 200, 'OK');
    const leaked = await newKey(server.url, owner.cookie, ['user:read']);
    secrets.push(leaked.key);
    expectEnvelope(await api(server.url, 'POST', '/api/auth/api-key/report-leak', { body: { key: leaked.key } }), 200, 'OK');

    const project = await api(server.url, 'POST', o('/projects'), { ...as, body: { name: 'Audited' } });
    expectEnvelope(await api(server.url, 'PATCH', o(`/projects/${project.body.data.id}`), { ...as, body: { name: 'Audited 2' } }), 200, 'OK');
    expectEnvelope(await api(server.url, 'DELETE', o(`/projects/${project.body.data.id}`), { ...as }), 200, 'OK');

    const member = await newUser(server.url, 'audited-member');
    secrets.push(member.cookie.split('=')[1]!);
    await joinOrg(server, smtp, owner, owner.organizationId, member, 'member');
    expectEnvelope(await api(server.url, 'PATCH', o(`/members/${member.id}`), { ...as, body: { role: 'admin' } }), 200, 'OK');
    expectEnvelope(await api(server.url, 'DELETE', o(`/members/${member.id}`), { ...as }), 200, 'OK');
    const invitation = await api(server.url, 'POST', o('/members'), { ...as, body: { email: 'never-accepts@example.com', role: 'member' } });
    secrets.push(tokenOf(await nextMail(smtp, 'never-accepts@example.com', /invited you/i)));
    expectEnvelope(await api(server.url, 'DELETE', o(`/invitations/${invitation.body.data.id}`), { ...as }), 200, 'OK');

    const team = await api(server.url, 'POST', o('/teams'), { ...as, body: { name: 'Ops' } });
    const teamKey = await api(server.url, 'POST', o(`/teams/${team.body.data.id}/keys`), { ...as, body: { name: 'deploy', scopes: ['intake:write'] } });
    expectEnvelope(teamKey, 201, 'OK');
    secrets.push(teamKey.body.data.key);
    const teamRotated = await api(server.url, 'POST', o(`/teams/${team.body.data.id}/keys/${teamKey.body.data.id}/rotate`), { ...as, body: {} });
    secrets.push(teamRotated.body.data.key);
    expectEnvelope(await api(server.url, 'POST', o(`/teams/${team.body.data.id}/keys/${teamKey.body.data.id}/revoke`), { ...as }), 200, 'OK');

    expectEnvelope(await api(server.url, 'POST', o('/payments'), { ...as, headers: { 'idempotency-key': 'audit-topup' }, body: { amount: 50 } }), 201, 'OK');
    // A replay changes nothing, so it records nothing.
    expectEnvelope(await api(server.url, 'POST', o('/payments'), { ...as, headers: { 'idempotency-key': 'audit-topup' }, body: { amount: 50 } }), 201, 'OK');
    expectEnvelope(await api(server.url, 'PATCH', o('/subscription'), { ...as, body: { plan: 'business' } }), 200, 'OK');
    expectEnvelope(await api(server.url, 'PATCH', o(''), { ...as, body: { name: 'Audited Org' } }), 200, 'OK');

    const hook = await api(server.url, 'POST', o('/webhooks'), { ...as, body: { url: 'https://hooks.example.com/in', events: ['project.created'] } });
    secrets.push(hook.body.data.secret);
    expectEnvelope(await api(server.url, 'PATCH', o(`/webhooks/${hook.body.data.id}`), { ...as, body: { enabled: false } }), 200, 'OK');
    const hookRotated = await api(server.url, 'POST', o(`/webhooks/${hook.body.data.id}/rotate-secret`), { ...as, body: {} });
    secrets.push(hookRotated.body.data.secret);
    expectEnvelope(await api(server.url, 'DELETE', o(`/webhooks/${hook.body.data.id}`), { ...as }), 200, 'OK');

    expect(await countsSince(start, 'organization_id', owner.organizationId)).toEqual({
      'api_key.created': 1, 'api_key.updated': 1, 'api_key.rotated': 1, 'api_key.revoked': 1,
      'project.created': 1, 'project.updated': 1, 'project.deleted': 1,
      'invitation.created': 2, 'invitation.accepted': 1, 'invitation.revoked': 1,
      'member.added': 1, 'member.role_changed': 1, 'member.removed': 1,
      'team_key.created': 1, 'team_key.rotated': 1, 'team_key.revoked': 1,
      'payment.created': 1, 'subscription.updated': 1, 'organization.updated': 1,
      'webhook.created': 1, 'webhook.updated': 1, 'webhook.secret_rotated': 1, 'webhook.deleted': 1,
    });
    // The unpinned key's leak report belongs to no organization: it is in its owner's own log.
    const leak = await rowsOf("action = 'api_key.leaked' AND target_id = ?", [leaked.id]);
    expect(leak).toHaveLength(1);
    expect(leak[0]).toMatchObject({ user_id: owner.id, actor_type: 'anonymous', outcome: 'success' });

    const [created] = await rowsOf("action = 'api_key.created' AND target_id = ?", [key.body.data.id]);
    const session = await api(server.url, 'GET', '/api/auth/get-session', { ...as });
    expect(created).toMatchObject({
      actor_type: 'user', actor_id: owner.id, credential_kind: 'session', credential_id: session.body.data.session.id,
      target_type: 'api_key', organization_id: owner.organizationId, user_id: owner.id, user_agent: 'audit-test/1.0', request_id: 'audit-req-1', outcome: 'success',
    });
    expect(created!['ip']).toMatch(/127\.0\.0\.1$/);
    expect(JSON.parse(created!['detail'])).toMatchObject({ name: 'ci', scopes: ['projects:read'] });
  });

  it('records sign-ins, failures, sign-out, password change and reset, and session revocations in the user\'s own log', async () => {
    const user = await newUser(server.url, 'auth-audit');
    const start = await lastId();
    expect((await call(server.url, 'POST', '/api/auth/sign-in/email', { body: { email: user.email, password: 'wrong-password-entirely' } })).status).toBe(401);
    const other = await signIn(server.url, user.email, PASSWORD);
    const bearer = await api(server.url, 'POST', '/api/auth/login', { body: { email: user.email, password: PASSWORD } });
    secrets.push(other.split('=')[1]!, bearer.body.data.token);
    const sessions = await api(server.url, 'GET', '/api/auth/list-sessions', { cookie: user.cookie });
    const otherId = sessions.body.data.find((s: { current: boolean; kind: string }) => !s.current && s.kind === 'cookie').id;
    expectEnvelope(await api(server.url, 'POST', '/api/auth/revoke-session', { cookie: user.cookie, body: { id: otherId } }), 200, 'OK');
    expectEnvelope(await api(server.url, 'POST', '/api/auth/revoke-other-sessions', { cookie: user.cookie }), 200, 'OK');
    const newPassword = `changed-${Date.now()}-passphrase`;
    secrets.push(newPassword);
    expectEnvelope(await api(server.url, 'POST', '/api/auth/change-password', { cookie: user.cookie, body: { currentPassword: PASSWORD, newPassword } }), 200, 'OK');
    expectEnvelope(await api(server.url, 'POST', '/api/auth/sign-out', { cookie: user.cookie }), 200, 'OK');
    await api(server.url, 'POST', '/api/auth/request-password-reset', { body: { email: user.email } });
    const resetToken = tokenOf(await nextMail(smtp, user.email, RESET_SUBJECT));
    const reset = `reset-${Date.now()}-passphrase`;
    secrets.push(resetToken, reset);
    expectEnvelope(await api(server.url, 'POST', '/api/auth/reset-password', { body: { token: resetToken, newPassword: reset } }), 200, 'OK');

    expect(await countsSince(start, 'user_id', user.id)).toEqual({
      'user.sign_in_failed': 1, 'user.signed_in': 2, 'session.revoked': 1, 'session.revoked_others': 1,
      'user.password_changed': 1, 'user.signed_out': 1, 'user.password_reset': 1,
    });
    const [failed] = await rowsOf("action = 'user.sign_in_failed' AND user_id = ? AND id > ?", [user.id, start]);
    expect(failed).toMatchObject({ outcome: 'failure', actor_type: 'anonymous' });

    const cookie = await signIn(server.url, user.email, reset);
    const mine = await api(server.url, 'GET', '/api/user/audit-log?limit=100', { cookie });
    expectEnvelope(mine, 200, 'OK');
    const actions = mine.body.data.map((e: { action: string }) => e.action);
    for (const a of ['user.sign_in_failed', 'user.password_reset', 'user.password_changed', 'organization.created']) expect(actions).toContain(a);
    // Newest first, and nobody else's rows.
    expect(mine.body.data[0].action).toBe('user.signed_in');
    const ids = mine.body.data.map((e: { id: string }) => e.id);
    expect([...ids].sort().reverse()).toEqual(ids);
    expect(mine.text).not.toContain(owner.id);
  });

  it('writes one mcp.tool_called row per MCP tool call, refused or not, beside the route\'s own row, with the OAuth client and no argument', async () => {
    // An agent's grant for /mcp: reading, and minting keys, but not writing projects.
    const redirect = 'http://127.0.0.1:33420/callback';
    const reg = await register(server.url, { client_name: 'audited agent', redirect_uris: [redirect], token_endpoint_auth_method: 'none' });
    const { verifier, challenge } = pkce();
    const authorize = `${server.url}/oauth2/authorize?${new URLSearchParams({
      response_type: 'code', client_id: reg.body.client_id, redirect_uri: redirect, scope: 'user:read projects:read api-keys:write', state: 's',
      code_challenge: challenge, code_challenge_method: 'S256', resource: `${server.url}/mcp`,
    })}`;
    const code = new URL(await answerConsent(authorize, owner.cookie)).searchParams.get('code')!;
    const tokens = await tokenRequest(server.url, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: redirect, client_id: reg.body.client_id });
    expect(tokens.status, JSON.stringify(tokens.body)).toBe(200);
    secrets.push(tokens.body['access_token'], tokens.body['refresh_token']);
    const stranger = await newUser(server.url, 'audited-stranger');
    const start = await lastId();
    let id = 0;
    const tool = (name: string, args: Record<string, unknown>, requestId: string) => call(server.url, 'POST', '/mcp', {
      bearer: tokens.body['access_token'], headers: { accept: 'application/json, text/event-stream', 'x-request-id': requestId, 'user-agent': 'audit-agent/2.0' },
      body: { jsonrpc: '2.0', id: ++id, method: 'tools/call', params: { name, arguments: args } },
    });

    const minted = await tool('create_api_key', { name: 'Minted over MCP', scopes: ['user:read'] }, 'mcp-audit-1');
    expect(minted.status, minted.text).toBe(200);
    const key = minted.body.result.structuredContent.data as { id: string; key: string };
    secrets.push(key.key);
    expect((await tool('create_project', { organizationId: owner.organizationId, name: 'Not allowed' }, 'mcp-audit-2')).status).toBe(403);
    const foreign = await tool('list_projects', { organizationId: stranger.organizationId }, 'mcp-audit-3');
    expect(foreign.body.result).toMatchObject({ isError: true, structuredContent: { error: { code: 'ORGANIZATION_MISMATCH' } } });
    const invalid = await tool('list_projects', { organizationId: owner.organizationId, limit: 0 }, 'mcp-audit-4');
    expect(invalid.body.result).toMatchObject({ isError: true, structuredContent: { error: { code: 'VALIDATION_ERROR' } } });
    const unknown = await tool('no_such_tool', {}, 'mcp-audit-5');
    expect(unknown.body.error).toBeTruthy();

    const rows = await rowsOf("action = 'mcp.tool_called' AND id > ?", [start]);
    expect(rows.map((r) => [r['request_id'], r['outcome'], r['target_id'], r['organization_id'], JSON.parse(r['detail']).error ?? null])).toEqual([
      ['mcp-audit-1', 'success', 'create_api_key', null, null],
      ['mcp-audit-2', 'failure', 'create_project', null, 'INSUFFICIENT_SCOPE'],
      // A foreign organization's log gets nothing: the row is the caller's own.
      ['mcp-audit-3', 'failure', 'list_projects', null, 'ORGANIZATION_MISMATCH'],
      ['mcp-audit-4', 'failure', 'list_projects', owner.organizationId, 'VALIDATION_ERROR'],
      ['mcp-audit-5', 'failure', null, null, 'UNKNOWN_TOOL'],
    ]);
    for (const row of rows) {
      expect(row).toMatchObject({ actor_type: 'user', actor_id: owner.id, user_id: owner.id, credential_kind: 'oauth', user_agent: 'audit-agent/2.0' });
      expect(row['credential_id']).toBeTruthy();
      expect(JSON.parse(row['detail'])).toMatchObject({ clientId: reg.body.client_id });
      // Never the arguments: neither the key's name nor the project's.
      expect(row['detail']).not.toMatch(/Minted over MCP|Not allowed/);
    }
    expect(rows[0]!['target_type']).toBe('mcp_tool');
    expect(JSON.parse(rows[1]!['detail'])).toMatchObject({ tool: 'create_project', scope: 'projects:write' });
    // The route's own row stays, in addition.
    const created = await rowsOf("action = 'api_key.created' AND target_id = ?", [key.id]);
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({ request_id: 'mcp-audit-1', credential_kind: 'oauth', credential_id: rows[0]!['credential_id'] });
    // The owner reads the calls in their own log.
    const mine = await api(server.url, 'GET', '/api/user/audit-log?action=mcp.*&limit=10', { cookie: owner.cookie });
    expect(mine.body.data.map((e: { requestId: string }) => e.requestId)).toEqual(['mcp-audit-5', 'mcp-audit-4', 'mcp-audit-3', 'mcp-audit-2', 'mcp-audit-1']);
  });

  it('holds no secret issued in these tests, in any row', async () => {
    expect(secrets.length).toBeGreaterThan(15);
    // The log, the outbox's event bodies and the deliveries made of them.
    const rows = JSON.stringify([
      await sqlOn(server, 'SELECT * FROM audit_log'), await sqlOn(server, 'SELECT event FROM audit_outbox'), await sqlOn(server, 'SELECT payload FROM webhook_deliveries'),
    ]);
    expect(rows.length).toBeGreaterThan(1000);
    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThanOrEqual(15);
      expect(rows.includes(secret), `a secret (${secret.slice(0, 6)}…) is in the audit log`).toBe(false);
      // Nor the random part alone.
      if (/^(b[a-z]|whsec)_/.test(secret)) expect(rows.includes(secret.slice(secret.indexOf('_') + 13, secret.indexOf('_') + 40))).toBe(false);
    }
  });
});

describe('audit log routes', () => {
  it('pages newest first with a cursor, and filters by action, action family, actor and time', async () => {
    const o = orgPath(owner.organizationId, '/audit-log');
    const all: { id: string; action: string; createdAt: string; actor: { id: string | null } }[] = [];
    let url: string | null = `${o}?limit=7`;
    while (url) {
      const res = await api(server.url, 'GET', url, { cookie: owner.cookie });
      expectEnvelope(res, 200, 'OK');
      all.push(...res.body.data);
      url = res.body.meta.pagination.nextCursor ? `${o}?limit=7&cursor=${res.body.meta.pagination.nextCursor}` : null;
      if (url) expect(res.headers.get('link')).toContain('rel="next"');
    }
    expect(all.length).toBeGreaterThan(20);
    expect(new Set(all.map((e) => e.id)).size).toBe(all.length);
    expect(all.map((e) => e.id)).toEqual([...all.map((e) => e.id)].sort().reverse());

    const exact = await api(server.url, 'GET', `${o}?action=project.deleted`, { cookie: owner.cookie });
    expect(exact.body.data.map((e: { action: string }) => e.action)).toEqual(['project.deleted']);
    const family = await api(server.url, 'GET', `${o}?action=project.*&limit=100`, { cookie: owner.cookie });
    expect(new Set(family.body.data.map((e: { action: string }) => e.action))).toEqual(new Set(['project.created', 'project.updated', 'project.deleted']));
    const byActor = await api(server.url, 'GET', `${o}?actor=${owner.id}&limit=100`, { cookie: owner.cookie });
    expect(byActor.body.data.length).toBeGreaterThan(10);
    expect(byActor.body.data.every((e: { actor: { id: string } }) => e.actor.id === owner.id)).toBe(true);
    const middle = all[Math.floor(all.length / 2)]!.createdAt;
    const since = await api(server.url, 'GET', `${o}?since=${encodeURIComponent(middle)}&limit=100`, { cookie: owner.cookie });
    const until = await api(server.url, 'GET', `${o}?until=${encodeURIComponent(middle)}&limit=100`, { cookie: owner.cookie });
    expect(since.body.data.every((e: { createdAt: string }) => e.createdAt >= middle)).toBe(true);
    expect(until.body.data.every((e: { createdAt: string }) => e.createdAt < middle)).toBe(true);
    expect(since.body.data.length + until.body.data.length).toBe(all.length);

    expectValidationError(await api(server.url, 'GET', `${o}?action=DROP TABLE`, { cookie: owner.cookie }), 'action');
    expectValidationError(await api(server.url, 'GET', `${o}?since=yesterday`, { cookie: owner.cookie }), 'since');
  });

  it('needs audit:read, and a pinned key sees its own organization\'s rows of the user log only', async () => {
    const without = await newKey(server.url, owner.cookie, ['projects:read']);
    const res = await api(server.url, 'GET', orgPath(owner.organizationId, '/audit-log'), { apiKey: without.key });
    expectEnvelope(res, 403, 'INSUFFICIENT_SCOPE');
    expect(res.headers.get('x-accepted-scopes')).toBe('audit:read');
    const other = await api(server.url, 'POST', '/api/user/organizations', { cookie: owner.cookie, body: { name: 'Elsewhere' } });
    const pinned = await newKey(server.url, owner.cookie, ['audit:read'], { metadata: { organizationId: owner.organizationId } });
    const log = await api(server.url, 'GET', '/api/user/audit-log?limit=100', { apiKey: pinned.key });
    expectEnvelope(log, 200, 'OK');
    expect(log.body.data.length).toBeGreaterThan(0);
    expect(log.body.data.every((e: { organizationId: string | null }) => e.organizationId === owner.organizationId || e.organizationId === null)).toBe(true);
    const unpinned = await newKey(server.url, owner.cookie, ['audit:read']);
    const full = await api(server.url, 'GET', '/api/user/audit-log?action=organization.created&limit=100', { apiKey: unpinned.key });
    expect(full.body.data.map((e: { target: { id: string } }) => e.target.id)).toContain(other.body.data.id);
    expect(log.text).not.toContain(other.body.data.id);
  });
});

describe('the audit outbox', () => {
  it('a change is one outbox row at commit, in the log at once; a flush moves it into audit_entries and its event into one delivery per endpoint that existed and subscribed', async () => {
    // No flush of its own accord within the test: no timer, no worker pass.
    const own = await startServer({ ACCT_WEBHOOKS_ALLOW_PRIVATE: 'true', ACCT_AUDIT_FLUSH_MS: '3600000', ACCT_WEBHOOK_POLL_MS: '3600000' });
    try {
      const user = await newUser(own.url, 'outboxed');
      const as = { cookie: user.cookie };
      const hook = async (events: string[]) => {
        const res = await api(own.url, 'POST', orgPath(user.organizationId, '/webhooks'), { ...as, body: { url: 'http://127.0.0.1:9/hook', events } });
        expectEnvelope(res, 201, 'OK');
        return res.body.data.id as string;
      };
      const subscribed = await hook(['project.created']);
      const other = await hook(['project.deleted']);
      await new Promise((r) => setTimeout(r, 5));
      const project = await api(own.url, 'POST', orgPath(user.organizationId, '/projects'), { ...as, body: { name: 'Queued' } });
      expectEnvelope(project, 201, 'OK');
      const where = "action = 'project.created' AND target_id = ?";
      const [row] = await sqlOn(own, `SELECT id FROM audit_outbox WHERE ${where}`, [project.body.data.id]);
      expect(row).toBeDefined();
      expect(await sqlOn(own, `SELECT id FROM audit_entries WHERE ${where}`, [project.body.data.id])).toHaveLength(0);
      // The log (the view, and the API) shows it already, once.
      expect(await sqlOn(own, `SELECT id FROM audit_log WHERE ${where}`, [project.body.data.id])).toEqual([{ id: row!['id'] }]);
      const log = await api(own.url, 'GET', orgPath(user.organizationId, '/audit-log?action=project.created'), as);
      expect(log.body.data.map((e: { id: string }) => e.id)).toEqual([row!['id']]);
      expect(await sqlOn(own, 'SELECT id FROM webhook_deliveries')).toHaveLength(0);

      // An endpoint created after the event does not get it.
      await new Promise((r) => setTimeout(r, 5));
      const later = await hook(['project.created']);
      // Listing deliveries flushes first.
      const listed = await api(own.url, 'GET', orgPath(user.organizationId, `/webhooks/${subscribed}/deliveries`), as);
      expectEnvelope(listed, 200, 'OK');
      expect(listed.body.data).toHaveLength(1);
      expect(listed.body.data[0]).toMatchObject({ eventType: 'project.created', status: 'pending' });
      expect(await sqlOn(own, 'SELECT endpoint_id, message_id FROM webhook_deliveries')).toEqual([{ endpoint_id: subscribed, message_id: `msg_${String(row!['id'])}` }]);
      for (const id of [other, later]) expect((await api(own.url, 'GET', orgPath(user.organizationId, `/webhooks/${id}/deliveries`), as)).body.data).toHaveLength(0);
      expect(await sqlOn(own, 'SELECT id FROM audit_outbox')).toHaveLength(0);
      expect(await sqlOn(own, `SELECT id FROM audit_entries WHERE ${where}`, [project.body.data.id])).toEqual([{ id: row!['id'] }]);
      expect(await sqlOn(own, `SELECT id FROM audit_log WHERE ${where}`, [project.body.data.id])).toEqual([{ id: row!['id'] }]);
    } finally {
      await own.stop();
    }
  });

  it('moves rows on its own every ACCT_AUDIT_FLUSH_MS', async () => {
    const own = await startServer({ ACCT_AUDIT_FLUSH_MS: '50', ACCT_WEBHOOK_POLL_MS: '3600000' });
    try {
      const user = await newUser(own.url, 'flushed');
      expectEnvelope(await api(own.url, 'POST', orgPath(user.organizationId, '/projects'), { cookie: user.cookie, body: { name: 'Moved' } }), 201, 'OK');
      await expect.poll(async () => Number((await sqlOn(own, 'SELECT count(*) AS n FROM audit_outbox'))[0]!['n']), { timeout: 5000 }).toBe(0);
      expect(Number((await sqlOn(own, "SELECT count(*) AS n FROM audit_entries WHERE action = 'project.created'"))[0]!['n'])).toBe(1);
      // A row another process wrote (acct-server admin grant, with the server running) moves too, within seconds.
      const at = new Date().toISOString();
      await sqlOn(own, "INSERT INTO audit_outbox (id, created_at, user_id, actor_type, action, outcome, detail) VALUES ('01ZZOTHERPROCESS000000000', ?, ?, 'anonymous', 'admin.granted', 'success', '{}')", [at, user.id]);
      await expect.poll(async () => (await sqlOn(own, "SELECT id FROM audit_entries WHERE id = '01ZZOTHERPROCESS000000000'")).length, { timeout: 10_000 }).toBe(1);
      expect(await sqlOn(own, 'SELECT id FROM audit_outbox')).toHaveLength(0);
    } finally {
      await own.stop();
    }
  });
});

describe('retention', () => {
  it('prunes rows older than ACCT_AUDIT_RETENTION_DAYS and keeps newer ones', async () => {
    const own = await startServer({ ACCT_AUDIT_RETENTION_DAYS: '2', ACCT_TEST_CLOCK: '1', NODE_ENV: 'test', ACCT_WEBHOOK_POLL_MS: '50' });
    try {
      const user = await newUser(own.url, 'retention');
      const first = await sqlOn(own, 'SELECT action FROM audit_log WHERE user_id = ?', [user.id]);
      expect(first.map((r) => r['action']).sort()).toEqual(['organization.created', 'user.signed_in']);
      const clock = (days: number) => call(own.url, 'POST', '/__test/clock', { body: { offsetSeconds: days * 86_400 } });
      // A day and a half later: a sign-in, within retention when the clock reaches day three.
      expectEnvelope(await clock(1.5), 200, 'OK');
      await signIn(own.url, user.email, PASSWORD);
      expectEnvelope(await clock(3), 200, 'OK');
      await signIn(own.url, user.email, PASSWORD);
      const deadline = Date.now() + 30_000;
      let left: Record<string, unknown>[] = [];
      for (;;) {
        left = await sqlOn(own, 'SELECT action, created_at FROM audit_log WHERE user_id = ? ORDER BY id', [user.id]);
        if (left.length <= 2 || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      // The two rows of day zero went; the sign-ins of day 1.5 and day 3 stay.
      expect(left.map((r) => r['action'])).toEqual(['user.signed_in', 'user.signed_in']);
      expect(Date.parse(String(left[0]!['created_at']))).toBeGreaterThan(Date.now() + 86_400_000);
    } finally {
      await own.stop();
    }
  });
});
