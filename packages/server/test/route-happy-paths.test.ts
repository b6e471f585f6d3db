/**
 * The happy path of every route of the foundation (auth, sessions, keys, account, organizations,
 * projects): the documented status, `code: OK`, the contract's message, and `data` that matches
 * the contract's response schema, so clients typed from the contracts can trust the answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES, validate, type RouteContract } from '@acct/shared';
import { email, newKey, newUser, PASSWORD, signIn, startServer, startSmtp, type ApiResponse, type RunningServer, type SmtpCatcher, type TestUser } from './harness.js';
import { api, expectEnvelope, expectNoServerErrors, liveRoutes, nextMail, RESET_SUBJECT, tokenOf, VERIFY_SUBJECT } from './support.js';

let server: RunningServer;
let smtp: SmtpCatcher;
let owner: TestUser;
let projectId: string;

beforeAll(async () => {
  smtp = await startSmtp();
  server = await startServer({ SMTP_URL: smtp.url });
  owner = await newUser(server.url, 'owner');
  const project = await api(server.url, 'POST', `/api/user/organizations/${owner.organizationId}/projects`, { cookie: owner.cookie, body: { name: 'Kept' } });
  projectId = project.body.data.id;
});
afterAll(async () => {
  expectNoServerErrors(server);
  await server.stop();
  await smtp.close();
});

const get = (path: string, cookie = owner.cookie) => api(server.url, 'GET', path, { cookie });
const post = (path: string, body?: unknown, cookie = owner.cookie) => api(server.url, 'POST', path, { cookie, ...(body === undefined ? {} : { body }) });
const projects = () => `/api/user/organizations/${owner.organizationId}/projects`;

/** A user who signed up but did not verify, and the token of the verification mail. */
async function unverified(): Promise<{ address: string; token: string }> {
  const address = email('unverified');
  const up = await api(server.url, 'POST', '/api/auth/sign-up/email', { body: { email: address, password: PASSWORD, name: 'Not Yet' } });
  expect(up.status).toBe(201);
  return { address, token: tokenOf(await nextMail(smtp, address, VERIFY_SUBJECT)) };
}

/** A user of their own (for flows that end sessions) and the token of a reset mail. */
async function resetting(): Promise<{ user: TestUser; token: string }> {
  const user = await newUser(server.url, 'resetting');
  await post('/api/auth/request-password-reset', { email: user.email }, '');
  return { user, token: tokenOf(await nextMail(smtp, user.email, RESET_SUBJECT)) };
}

const HAPPY: Record<string, () => Promise<ApiResponse>> = {
  signUp: () => api(server.url, 'POST', '/api/auth/sign-up/email', { body: { email: email('happy'), password: PASSWORD, name: 'Happy Path' } }),
  signIn: () => api(server.url, 'POST', '/api/auth/sign-in/email', { body: { email: owner.email, password: PASSWORD } }),
  login: () => api(server.url, 'POST', '/api/auth/login', { body: { email: owner.email, password: PASSWORD } }),
  signOut: async () => post('/api/auth/sign-out', undefined, await signIn(server.url, owner.email, PASSWORD)),
  getSession: () => get('/api/auth/get-session'),
  verifyEmailPage: async () => get(`/api/auth/verify-email?token=${(await unverified()).token}`, ''),
  verifyEmail: async () => post('/api/auth/verify-email', { token: (await unverified()).token }, ''),
  sendVerificationEmail: () => post('/api/auth/send-verification-email', { email: owner.email }, ''),
  requestPasswordReset: () => post('/api/auth/request-password-reset', { email: owner.email }, ''),
  resetPasswordPage: async () => get(`/api/auth/reset-password?token=${(await resetting()).token}`, ''),
  resetPassword: async () => post('/api/auth/reset-password', { token: (await resetting()).token, newPassword: 'another-long-passphrase' }, ''),
  changePassword: async () => {
    const user = await newUser(server.url, 'changing');
    return post('/api/auth/change-password', { currentPassword: PASSWORD, newPassword: 'another-long-passphrase' }, user.cookie);
  },
  listSessions: () => get('/api/auth/list-sessions'),
  revokeSession: async () => {
    const other = await signIn(server.url, owner.email, PASSWORD);
    const { body } = await get('/api/auth/get-session', other);
    return post('/api/auth/revoke-session', { id: body.data.session.id });
  },
  revokeOtherSessions: async () => post('/api/auth/revoke-other-sessions', undefined, (await newUser(server.url, 'revoking')).cookie),
  createApiKey: () => post('/api/auth/api-key/create', { name: 'happy', scopes: ['user:read'], expiresIn: 3600, metadata: { organizationId: owner.organizationId } }),
  listApiKeys: () => get('/api/auth/api-key/list'),
  getApiKey: async () => get(`/api/auth/api-key/get?id=${(await newKey(server.url, owner.cookie, ['user:read'])).id}`),
  updateApiKey: async () => post('/api/auth/api-key/update', { id: (await newKey(server.url, owner.cookie, ['user:read'])).id, name: 'renamed' }),
  deleteApiKey: async () => post('/api/auth/api-key/delete', { id: (await newKey(server.url, owner.cookie, ['user:read'])).id }),
  rotateApiKey: async () => post('/api/auth/api-key/rotate', { id: (await newKey(server.url, owner.cookie, ['user:read'])).id }),
  reportLeakedKey: async () => post('/api/auth/api-key/report-leak', { key: (await newKey(server.url, owner.cookie, ['user:read'])).key }, ''),
  listScopes: () => get('/api/auth/scopes', ''),
  getMe: () => get('/api/user/me'),
  updateMe: () => api(server.url, 'PATCH', '/api/user/me', { cookie: owner.cookie, body: { name: 'Owner Renamed' } }),
  listOrganizations: () => get('/api/user/organizations'),
  createOrganization: () => post('/api/user/organizations', { name: 'Happy Org' }),
  listProjects: () => get(projects()),
  createProject: () => post(projects(), { name: 'Fresh', description: 'made by the happy path' }),
  getProject: () => get(`${projects()}/${projectId}`),
  updateProject: () => api(server.url, 'PATCH', `${projects()}/${projectId}`, { cookie: owner.cookie, body: { description: 'changed' } }),
  deleteProject: async () => {
    const made = await post(projects(), { name: 'Doomed' });
    return api(server.url, 'DELETE', `${projects()}/${made.body.data.id}`, { cookie: owner.cookie });
  },
};

const LIVE = new Set((await liveRoutes()).map((r) => r.name));
const CASES = Object.keys(HAPPY).filter((name) => LIVE.has(name));

describe('happy paths', () => {
  it('cover every route of the foundation', () => {
    // The foundation's routes are live; routes added since bring their own tests.
    expect(CASES.length).toBe(Object.keys(HAPPY).length);
  });

  it.each(CASES)('%s answers its documented status, message and data shape', async (name) => {
    const contract = (ROUTES as Record<string, RouteContract>)[name]!;
    const res = await HAPPY[name]!();
    expectEnvelope(res, contract.status ?? 200, 'OK');
    expect(res.body.message).toBe(contract.message);
    const checked = validate(contract.data, res.body.data);
    expect(checked.ok ? [] : checked.errors).toEqual([]);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  });
});

describe('what the happy paths promise beyond their shape', () => {
  it('a session answers every scoped account route; the data belongs to the caller', async () => {
    const me = await get('/api/user/me');
    expect(me.body.data).toMatchObject({ id: owner.id, email: owner.email, isActive: true, role: 'user' });
    const orgs = await get('/api/user/organizations');
    expect(orgs.body.data.map((o: { id: string }) => o.id)).toContain(owner.organizationId);
    expect(orgs.body.data.find((o: { id: string }) => o.id === owner.organizationId).role).toBe('owner');
  });

  it('a project created is listed, readable, changeable and then gone', async () => {
    const made = await post(projects(), { name: '  Spaced  ' });
    expect(made.body.data).toMatchObject({ name: 'Spaced', description: '', organizationId: owner.organizationId });
    const id = made.body.data.id;
    expect((await get(`${projects()}?limit=100`)).body.data.map((p: { id: string }) => p.id)).toContain(id);
    const changed = await api(server.url, 'PATCH', `${projects()}/${id}`, { cookie: owner.cookie, body: { name: 'Renamed' } });
    expect(changed.body.data.name).toBe('Renamed');
    expect((await get(`${projects()}/${id}`)).body.data.name).toBe('Renamed');
    expectEnvelope(await api(server.url, 'DELETE', `${projects()}/${id}`, { cookie: owner.cookie }), 200, 'OK');
    expectEnvelope(await get(`${projects()}/${id}`), 404, 'NOT_FOUND');
  });

  it("another organization's project answers 404 inside one's own organization path", async () => {
    const stranger = await newUser(server.url, 'stranger');
    const theirs = await post(`/api/user/organizations/${stranger.organizationId}/projects`, { name: 'Theirs' }, stranger.cookie);
    expectEnvelope(await get(`${projects()}/${theirs.body.data.id}`), 404, 'NOT_FOUND');
  });

  it('a key pinned to an organization works there and lists only that organization', async () => {
    const second = await post('/api/user/organizations', { name: 'Pinned Elsewhere' });
    const { key } = await newKey(server.url, owner.cookie, ['organizations:read', 'projects:read'], { metadata: { organizationId: owner.organizationId } });
    expectEnvelope(await api(server.url, 'GET', projects(), { apiKey: key }), 200, 'OK');
    const orgs = await api(server.url, 'GET', '/api/user/organizations', { apiKey: key });
    expect(orgs.body.data.map((o: { id: string }) => o.id)).toEqual([owner.organizationId]);
    expectEnvelope(await api(server.url, 'GET', `/api/user/organizations/${second.body.data.id}/projects`, { apiKey: key }), 403, 'ORGANIZATION_MISMATCH');
  });

  it('a key can be pinned only to an organization its owner belongs to', async () => {
    const stranger = await newUser(server.url, 'stranger');
    const res = await post('/api/auth/api-key/create', { name: 'sneaky', scopes: ['projects:read'], metadata: { organizationId: stranger.organizationId } });
    expectEnvelope(res, 403, 'ORGANIZATION_MISMATCH');
  });

  it('unknown scope names are a validation error at key creation', async () => {
    const res = await post('/api/auth/api-key/create', { name: 'bad', scopes: ['user:read', 'root'] });
    expectEnvelope(res, 400, 'VALIDATION_ERROR');
    expect(res.body.errors[0].field).toMatch(/^scopes/);
  });

  it("revoking someone else's session answers 404 and leaves it working", async () => {
    const stranger = await newUser(server.url, 'stranger');
    const theirs = (await get('/api/auth/get-session', stranger.cookie)).body.data.session.id;
    expectEnvelope(await post('/api/auth/revoke-session', { id: theirs }), 404, 'NOT_FOUND');
    expectEnvelope(await get('/api/user/me', stranger.cookie), 200, 'OK');
  });

  it('unknown routes answer 404 in the envelope', async () => {
    expectEnvelope(await get('/api/nope'), 404, 'NOT_FOUND');
    expectEnvelope(await api(server.url, 'DELETE', '/api/user/me', { cookie: owner.cookie }), 404, 'NOT_FOUND');
  });
});
