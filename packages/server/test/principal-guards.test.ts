// test-dialects: sqlite — guards, the credential-kind registry and renderers in process; no database
// The authorisation core in process: the credential-kind registry, the guards a contract declares
// (auth/guards.ts), and the renderers errors and answers are written with (http/render/). The
// guards read only the principal, so every subject and credential shape is checked here without
// a database; their behaviour over HTTP is the route and tenancy matrices' job.
import http from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import express from 'express';
import { pino } from 'pino';
import { ROUTES, TOKEN_KINDS, type RouteContract, type TokenKind } from '@acct/shared';
import { ROOT } from './harness.js';

const dist = (file: string) => pathToFileURL(path.join(ROOT, 'packages/server/dist', file)).href;
const guards = (await import(dist('auth/guards.js'))) as typeof import('../src/auth/guards.js');
const credentials = (await import(dist('auth/credentials/index.js'))) as typeof import('../src/auth/credentials/index.js');
const { principal, actorOf, hasScope } = (await import(dist('auth/principal.js'))) as typeof import('../src/auth/principal.js');
const { OAUTH, OAuthError } = (await import(dist('http/render/oauth.js'))) as typeof import('../src/http/render/oauth.js');
const { JSON_RPC_RENDERER, JsonRpcError, JSON_RPC } = (await import(dist('http/render/json-rpc.js'))) as typeof import('../src/http/render/json-rpc.js');
const { HTML } = (await import(dist('http/render/html.js'))) as typeof import('../src/http/render/html.js');
const { ENVELOPE } = (await import(dist('http/render/envelope.js'))) as typeof import('../src/http/render/envelope.js');
const { useRenderer } = (await import(dist('http/render/renderer.js'))) as typeof import('../src/http/render/renderer.js');
const { errorHandler } = (await import(dist('middleware/errors.js'))) as typeof import('../src/middleware/errors.js');
const { HttpError } = (await import(dist('http/http-error.js'))) as typeof import('../src/http/http-error.js');
const { credentialKey } = (await import(dist('rate-limit/rate-limits.js'))) as typeof import('../src/rate-limit/rate-limits.js');

type Principal = import('../src/auth/principal.js').Principal;
type Guard = import('../src/auth/guards.js').Guard;

const ORG = 'org_A';
const user = { id: 'usr_1' } as never;
const session = principal({ kind: 'user', id: 'usr_1', user }, { kind: 'session', id: 'ses_1', issuedAt: '2026-01-01T00:00:00.000Z', carrier: 'cookie' }, { scopes: 'all', interactive: true });
const pat = (scopes: string[], organizationId: string | null = null) =>
  principal({ kind: 'user', id: 'usr_1', user }, { kind: 'pat', id: 'ak_1', issuedAt: '2026-01-01T00:00:00.000Z', carrier: 'x-api-key' }, { scopes: new Set(scopes) as never, organizationId });
const teamKey = (scopes: string[]) =>
  principal({ kind: 'team', id: 'team_1', organizationId: ORG }, { kind: 'team-key', id: 'tk_1', issuedAt: '2026-01-01T00:00:00.000Z', carrier: 'authorization' }, { scopes: new Set(scopes) as never, organizationId: ORG });
const client = principal({ kind: 'client', id: 'cli_1' }, { kind: 'oauth', id: 'tok_1', issuedAt: '2026-01-01T00:00:00.000Z', carrier: 'authorization' }, { scopes: new Set(['user:read']) as never, clientId: 'cli_1', audience: 'https://acct.example/mcp' });

/** Runs a contract's guards as bind() does; the refusal's code and message, or the membership. */
async function guard(contract: RouteContract, p: Principal, params: Record<string, string> = {}, extra: Guard[] = []) {
  const ctx = { deps: {} as never, req: { params } as never, res: {} as never, principal: p, membership: null };
  try {
    for (const g of [...guards.contractGuards(contract), ...extra]) await g(ctx);
    return { ok: true as const, membership: ctx.membership };
  } catch (err) {
    if (!(err instanceof HttpError)) throw err;
    return { ok: false as const, code: err.code, message: err.message, headers: err.headers ?? {} };
  }
}

describe('the principal', () => {
  it('holds every scope for a session and only its own for a token', () => {
    expect(hasScope(session, 'projects:write')).toBe(true);
    expect(hasScope(pat(['user:read']), 'user:read')).toBe(true);
    expect(hasScope(pat(['user:read']), 'projects:write')).toBe(false);
  });

  it('names the acting credential and its subject in the log and the rate-limit key, whatever the kind', () => {
    expect(actorOf(session)).toEqual({ kind: 'session', id: 'ses_1', userId: 'usr_1' });
    expect(actorOf(teamKey([]))).toEqual({ kind: 'team-key', id: 'tk_1', teamId: 'team_1' });
    expect(actorOf(client)).toEqual({ kind: 'oauth', id: 'tok_1', clientId: 'cli_1' });
    expect(credentialKey(session)).toBe('session:ses_1');
    expect(credentialKey(teamKey([]))).toBe('team-key:tk_1');
    expect(credentialKey(client)).toBe('oauth:tok_1');
  });
});

describe('the credential-kind registry', () => {
  it('recognises each issued token kind in exactly the carriers it was issued for', () => {
    const claims: Record<string, string[]> = {};
    for (const kind of credentials.CREDENTIAL_KINDS)
      for (const [token, carriers] of Object.entries(kind.tokens)) claims[token] = [...(claims[token] ?? []), ...carriers!.map((c) => `${kind.name}:${c}`)];
    expect(claims).toEqual({
      session: ['session:cookie'],
      bearerSession: ['session:authorization'],
      pat: ['pat:authorization', 'pat:x-api-key'],
      teamKey: ['team-key:authorization', 'team-key:x-api-key'],
      oauthAccess: ['oauth:authorization'],
    });
    // A mailed-link token is never a credential.
    expect(Object.keys(claims)).not.toContain('emailLink' satisfies TokenKind);
    expect(Object.keys(TOKEN_KINDS)).toContain('emailLink');
  });

  it('gives each kind its own WWW-Authenticate challenge for a 401', () => {
    for (const kind of credentials.CREDENTIAL_KINDS) expect(kind.challenge(new HttpError('INVALID_TOKEN'))).toMatch(/^Bearer realm="acct", error="invalid_token"/);
  });
});

describe('guards declared by contracts', () => {
  it('refuse team keys on routes not opened to them, and clients on routes that act for a person', async () => {
    expect(await guard(ROUTES.getMe, teamKey(['user:read']))).toMatchObject({ ok: false, code: 'FORBIDDEN', message: expect.stringContaining('Team keys act for a team') });
    expect(await guard(ROUTES.getMe, client)).toMatchObject({ ok: false, code: 'FORBIDDEN', message: expect.stringContaining('client token') });
    expect(await guard(ROUTES.getMe, pat(['user:read']))).toEqual({ ok: true, membership: null });
  });

  it('let only an interactive session through session-only routes', async () => {
    expect(ROUTES.rotateApiKey.auth).toBe('session');
    expect(await guard(ROUTES.rotateApiKey, pat(['api-keys:write']))).toMatchObject({ ok: false, code: 'FORBIDDEN', message: expect.stringContaining('signed-in session') });
    expect(await guard(ROUTES.rotateApiKey, session)).toMatchObject({ ok: true });
  });

  it('let a session, but never a PAT, through delegated routes (key creation)', async () => {
    expect(ROUTES.createApiKey.auth).toBe('delegated');
    expect(await guard(ROUTES.createApiKey, pat(['api-keys:write']))).toMatchObject({ ok: false, code: 'FORBIDDEN', message: expect.stringContaining('API keys cannot mint keys') });
    expect(await guard(ROUTES.createApiKey, session)).toMatchObject({ ok: true });
  });

  it('name the missing scope, and any alternative, in the message and X-Accepted-Scopes', async () => {
    expect(await guard(ROUTES.getMe, pat(['projects:read']))).toMatchObject({ ok: false, code: 'INSUFFICIENT_SCOPE', headers: { 'X-Accepted-Scopes': 'user:read' } });
    // GET /api/user/organizations: organizations:read, or user:read.
    const listing = ROUTES.listOrganizations;
    expect(listing.orScopes).toEqual(['user:read']);
    expect(await guard(listing, pat([]))).toMatchObject({ ok: false, code: 'INSUFFICIENT_SCOPE', headers: { 'X-Accepted-Scopes': 'organizations:read, user:read' } });
    expect(await guard(listing, pat(['user:read']))).toMatchObject({ ok: true });
  });

  it('hold a team key to its own organization, a member role, and its own team', async () => {
    const intake = ROUTES.listIntake;
    expect(intake.teamKeys && intake.tenant).toBe(true);
    const scopes = [intake.scope!];
    expect(await guard(intake, teamKey(scopes), { organizationId: 'org_B', teamId: 'team_1' })).toMatchObject({ ok: false, code: 'ORGANIZATION_MISMATCH', message: 'The team key belongs to another organization' });
    expect(await guard(intake, teamKey(scopes), { organizationId: ORG, teamId: 'team_2' })).toMatchObject({ ok: false, code: 'FORBIDDEN', message: 'A team key can only act for its own team' });
    expect(await guard(intake, teamKey(scopes), { organizationId: ORG, teamId: 'team_1' })).toEqual({ ok: true, membership: { organizationId: ORG, role: 'member' } });
    // Beyond a member's role, even when the key holds the scope.
    const beyondMember = { ...intake, scope: 'members:write' } as RouteContract;
    expect(await guard(beyondMember, teamKey(['members:write']), { organizationId: ORG, teamId: 'team_1' })).toMatchObject({ ok: false, code: 'FORBIDDEN', message: 'Team keys cannot use members:write' });
  });

  it("refuse a pinned token on another organization's path before reading any membership", async () => {
    // No database in deps: reaching the membership read would throw a TypeError, not this refusal.
    expect(await guard(ROUTES.listProjects, pat(['projects:read'], 'org_B'), { organizationId: ORG })).toMatchObject({ ok: false, code: 'ORGANIZATION_MISMATCH', message: 'The token is pinned to another organization' });
  });

  it('run a capability’s own guards after the contract’s', async () => {
    const audience: Guard = ({ principal: p }) => {
      if (p.audience !== 'https://acct.example/mcp') throw new HttpError('INVALID_TOKEN', 'The token is for another resource');
    };
    expect(await guard(ROUTES.getMe, pat(['user:read']), {}, [audience])).toMatchObject({ ok: false, code: 'INVALID_TOKEN' });
    expect(await guard(ROUTES.getMe, pat([]), {}, [audience])).toMatchObject({ ok: false, code: 'INSUFFICIENT_SCOPE' });
  });
});

describe('renderers', () => {
  let server: http.Server;
  let url: string;
  beforeAll(async () => {
    const app = express();
    app.use(express.json());
    const deps = { baseUrl: () => url } as never;
    for (const [name, renderer] of Object.entries({ envelope: ENVELOPE, oauth: OAUTH, rpc: JSON_RPC_RENDERER, html: HTML })) {
      app.post(`/${name}/ok`, (req, res) => {
        useRenderer(res, renderer);
        renderer.success(req, res, { status: 200, message: 'Done', data: name === 'html' ? '<!doctype html><p>hi</p>' : { answer: 42 } }, deps);
      });
      app.post(`/${name}/fail`, (req, res, next) => {
        useRenderer(res, renderer);
        const kind = (req.body as { kind?: string }).kind;
        if (kind === 'oauth') return next(new OAuthError('invalid_grant', 'The code was already used'));
        if (kind === 'rpc') return next(new JsonRpcError(JSON_RPC.METHOD_NOT_FOUND, 'No tool named nope'));
        if (kind === 'crash') return next(new Error('SELECT secret FROM somewhere'));
        next(new HttpError('INSUFFICIENT_SCOPE', 'The token lacks the scope projects:write', undefined, { 'WWW-Authenticate': 'Bearer error="insufficient_scope", scope="projects:write"' }));
      });
    }
    app.use(errorHandler(pino({ level: 'silent' })));
    server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const post = async (p: string, body: unknown = {}) => {
    const res = await fetch(url + p, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, type: res.headers.get('content-type'), headers: res.headers, text, json: () => JSON.parse(text) as Record<string, unknown> };
  };

  it('the envelope: data and errors in one shape, with the error’s headers', async () => {
    expect((await post('/envelope/ok')).json()).toMatchObject({ success: true, status: 200, code: 'OK', message: 'Done', data: { answer: 42 } });
    const failed = await post('/envelope/fail');
    expect(failed.status).toBe(403);
    expect(failed.json()).toMatchObject({ success: false, code: 'INSUFFICIENT_SCOPE', data: null });
    expect(failed.headers.get('www-authenticate')).toContain('insufficient_scope');
  });

  it('OAuth: the data is the body; errors are RFC 6749 `error` and `error_description`, never the envelope', async () => {
    const ok = await post('/oauth/ok');
    expect(ok.json()).toEqual({ answer: 42 });
    expect(ok.headers.get('pragma')).toBe('no-cache');
    const grant = await post('/oauth/fail', { kind: 'oauth' });
    expect([grant.status, grant.json()]).toEqual([400, { error: 'invalid_grant', error_description: 'The code was already used' }]);
    const scope = await post('/oauth/fail');
    expect([scope.status, scope.json()]).toEqual([403, { error: 'insufficient_scope', error_description: 'The token lacks the scope projects:write' }]);
    const crash = await post('/oauth/fail', { kind: 'crash' });
    expect(crash.status).toBe(500);
    expect(crash.json()).toMatchObject({ error: 'server_error' });
    expect(crash.text).not.toContain('SELECT');
  });

  it('JSON-RPC: the data is the result for the request’s id; errors keep the HTTP status and our code', async () => {
    expect((await post('/rpc/ok', { jsonrpc: '2.0', id: 7, method: 'tools/call' })).json()).toEqual({ jsonrpc: '2.0', id: 7, result: { answer: 42 } });
    const missing = await post('/rpc/fail', { jsonrpc: '2.0', id: 'a', kind: 'rpc' });
    expect(missing.json()).toMatchObject({ jsonrpc: '2.0', id: 'a', error: { code: -32601, message: 'No tool named nope' } });
    const scope = await post('/rpc/fail', { jsonrpc: '2.0', id: 8 });
    expect(scope.status).toBe(403);
    expect(scope.headers.get('www-authenticate')).toContain('scope="projects:write"');
    expect(scope.json()).toMatchObject({ id: 8, error: { code: -32000, data: { code: 'INSUFFICIENT_SCOPE', status: 403 } } });
  });

  it('HTML: the page as written; errors as a small escaped page with their status', async () => {
    const ok = await post('/html/ok');
    expect([ok.type, ok.text]).toEqual(['text/html; charset=utf-8', '<!doctype html><p>hi</p>']);
    const failed = await post('/html/fail');
    expect(failed.status).toBe(403);
    expect(failed.type).toBe('text/html; charset=utf-8');
    expect(failed.text).toContain('<title>The token lacks the scope projects:write</title>');
    const crash = await post('/html/fail', { kind: 'crash' });
    expect(crash.status).toBe(500);
    expect(crash.text).not.toContain('SELECT');
  });
});
