import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, email, newUser, PASSWORD, signIn, startServer, type RunningServer } from './harness.js';

let server: RunningServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.stop();
});

describe('sign-in and sessions', () => {
  it('sets an HttpOnly SameSite=Lax session cookie that authenticates /api/user/me', async () => {
    const address = email();
    await call(server.url, 'POST', '/api/auth/sign-up/email', { body: { email: address, password: PASSWORD, name: 'Ada' } });
    const res = await fetch(`${server.url}/api/auth/sign-in/email`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: address, password: PASSWORD }),
    });
    expect(res.status).toBe(200);
    const cookie = res.headers.getSetCookie()[0]!;
    expect(cookie).toMatch(/^acct_session=bc_[0-9A-Za-z]{50}; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+$/);
    const me = await call(server.url, 'GET', '/api/user/me', { cookie: cookie.split(';')[0]! });
    expect(me.status).toBe(200);
    expect(me.body.data.email).toBe(address);
    expect(me.body.data.lastLoginAt).not.toBeNull();
  });

  it('answers an unknown email exactly as a wrong password', async () => {
    const user = await newUser(server.url);
    const wrong = await call(server.url, 'POST', '/api/auth/sign-in/email', { body: { email: user.email, password: 'not-the-password-at-all' } });
    const unknown = await call(server.url, 'POST', '/api/auth/sign-in/email', { body: { email: email('nobody'), password: 'not-the-password-at-all' } });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body.code).toBe('INVALID_CREDENTIALS');
    expect({ ...unknown.body, meta: null }).toEqual({ ...wrong.body, meta: null });
  });

  it('signs out: the cookie stops working on the next request', async () => {
    const user = await newUser(server.url);
    const out = await call(server.url, 'POST', '/api/auth/sign-out', { cookie: user.cookie });
    expect(out.status).toBe(200);
    expect(out.headers.get('set-cookie')).toMatch(/Max-Age=0/);
    const me = await call(server.url, 'GET', '/api/user/me', { cookie: user.cookie });
    expect(me.status).toBe(401);
    expect(me.body.code).toBe('INVALID_TOKEN');
  });

  it('issues a bearer session token from /api/auth/login that is not a cookie token', async () => {
    const user = await newUser(server.url);
    const login = await call(server.url, 'POST', '/api/auth/login', { body: { email: user.email, password: PASSWORD } });
    expect(login.status).toBe(200);
    const token = login.body.data.token as string;
    expect(token.startsWith('bs_')).toBe(true);
    expect((await call(server.url, 'GET', '/api/user/me', { bearer: token })).status).toBe(200);
    // The same token as a cookie is refused: bearer and cookie tokens are not interchangeable.
    expect((await call(server.url, 'GET', '/api/user/me', { cookie: `acct_session=${token}` })).body.code).toBe('INVALID_TOKEN');
  });

  it('lists sessions and revokes the others', async () => {
    const user = await newUser(server.url);
    const second = await signIn(server.url, user.email, PASSWORD);
    const list = await call(server.url, 'GET', '/api/auth/list-sessions', { cookie: user.cookie });
    expect(list.body.data).toHaveLength(2);
    expect(list.body.data.filter((s: { current: boolean }) => s.current)).toHaveLength(1);
    const revoked = await call(server.url, 'POST', '/api/auth/revoke-other-sessions', { cookie: user.cookie });
    expect(revoked.body.data.revokedSessions).toBe(1);
    expect((await call(server.url, 'GET', '/api/user/me', { cookie: second })).status).toBe(401);
    expect((await call(server.url, 'GET', '/api/user/me', { cookie: user.cookie })).status).toBe(200);
  });
});
