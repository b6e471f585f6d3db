import path from 'node:path';
import { expect } from 'vitest';
import { ROUTES, type RouteContract } from '@acct/shared';
import { call, ROOT, withTestDb, type ApiResponse, type CallOptions, type CaughtMail, type RunningServer, type SmtpCatcher } from './harness.js';

/**
 * `call()` that fails the test on any 5xx: no input, however wrong, may make the server
 * answer 500 (it would mean an unhandled path, and maybe a leaked stack trace).
 */
export async function api<T = any>(base: string, method: string, pathname: string, opts: CallOptions = {}): Promise<ApiResponse<T>> {
  const res = await call<T>(base, method, pathname, opts);
  if (res.status >= 500) throw new Error(`${method} ${pathname} answered ${res.status}: ${res.text.slice(0, 500)}`);
  return res;
}

/** The server logs "request failed" for every 500 it renders: none may have happened. */
export function expectNoServerErrors(server: RunningServer): void {
  const failures = server.output().split('\n').filter((line) => line.includes('"msg":"request failed"'));
  expect(failures, 'the server answered 500 at least once').toEqual([]);
}

/** Asserts the envelope of API.md: success, status, code, message, data, meta.requestId. */
export function expectEnvelope(res: ApiResponse, status: number, code: string): void {
  expect({ status: res.status, code: res.body?.code }, res.text.slice(0, 300)).toEqual({ status, code });
  expect(res.body).toMatchObject({ success: status < 400, status, code, message: expect.any(String), meta: { requestId: expect.any(String) } });
  expect(res.body).toHaveProperty('data');
  if (status >= 400) expect(res.body.data).toBeNull();
  expect(res.headers.get('x-request-id')).toBe(res.body.meta.requestId);
}

/** The fields a VALIDATION_ERROR names. */
export function fieldsOf(res: ApiResponse): string[] {
  return ((res.body?.errors ?? []) as { field: string }[]).map((e) => e.field);
}

/** 400 VALIDATION_ERROR whose `errors[]` names every one of `fields`. */
export function expectValidationError(res: ApiResponse, ...fields: string[]): void {
  expectEnvelope(res, 400, 'VALIDATION_ERROR');
  for (const f of fields) expect(fieldsOf(res), res.text.slice(0, 300)).toContain(f);
  for (const e of res.body.errors) expect(e.message).toEqual(expect.any(String));
}

/** Makes a key expired by moving its expiry into the past (in the server's database: it runs in its own process). */
export async function expireKey(server: RunningServer, keyId: string): Promise<void> {
  const changed = await withTestDb(server, (db) => db.run('UPDATE api_keys SET expires_at = ? WHERE id = ?', [new Date(Date.now() - 60_000).toISOString(), keyId]));
  expect(changed).toBe(1);
}

const REVOKE_ROUTE = Object.values(ROUTES as Record<string, RouteContract>).find((r) => r.path === '/api/auth/api-key/delete');

/** Revokes a key through `POST /api/auth/api-key/delete`, or in the database while that route does not exist. */
export async function revokeKey(server: RunningServer, cookie: string, keyId: string): Promise<void> {
  if (REVOKE_ROUTE) {
    const res = await api(server.url, 'POST', REVOKE_ROUTE.path, { cookie, body: { id: keyId } });
    expectEnvelope(res, 200, 'OK');
    return;
  }
  const changed = await withTestDb(server, (db) => db.run('UPDATE api_keys SET revoked_at = ? WHERE id = ?', [new Date().toISOString(), keyId]));
  expect(changed).toBe(1);
}

/** Mails to `to` whose subject matches, in arrival order. */
export function mailsTo(smtp: SmtpCatcher, to: string, subject: RegExp): CaughtMail[] {
  return smtp.mails.filter((m) => m.to.includes(to) && subject.test(m.subject));
}

/** Waits until more than `seen` matching mails arrived and returns the newest. */
export async function nextMail(smtp: SmtpCatcher, to: string, subject: RegExp, seen = 0, timeoutMs = 10_000): Promise<CaughtMail> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = mailsTo(smtp, to, subject);
    if (found.length > seen) return found[found.length - 1]!;
    if (Date.now() > deadline) throw new Error(`no new mail to ${to} matching ${subject}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export const VERIFY_SUBJECT = /verify your email/i;
export const RESET_SUBJECT = /reset your .*password/i;

/** The one link of a mail. */
export function linkOf(mail: CaughtMail): URL {
  const m = /https?:\/\/\S+/.exec(mail.text);
  if (!m) throw new Error(`no link in mail "${mail.subject}"`);
  return new URL(m[0]);
}

/** The token a mailed link carries. */
export function tokenOf(mail: CaughtMail): string {
  const token = linkOf(mail).searchParams.get('token');
  if (!token) throw new Error(`no token in the link of "${mail.subject}"`);
  return token;
}

/** `path` of a link, with its query, to call on the test server. */
export function pathOf(url: URL): string {
  return url.pathname + url.search;
}

export interface LiveRoute extends RouteContract {
  name: string;
}

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: Layer[]; routeTable?: { list(): { method: string; path: string }[] } };
}

/**
 * `METHOD path` of every route the built server's Express app registers, read from the app
 * that `createApp` builds (the same code the server runs; no request is made, so no database).
 */
export async function registeredRoutes(): Promise<Set<string>> {
  const dist = path.join(ROOT, 'packages/server/dist');
  const { createApp } = await import(path.join(dist, 'app.js'));
  const { loadConfig } = await import(path.join(dist, 'config.js'));
  const { pino } = await import('pino');
  const app = createApp({
    config: loadConfig({}), logger: pino({ level: 'silent' }), baseUrl: () => 'http://127.0.0.1:3000', version: 'test', rateLimits: { countsEveryRequest: false },
  });
  const found = new Set<string>();
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route) for (const m of Object.keys(layer.route.methods)) found.add(`${m.toUpperCase()} ${layer.route.path}`);
      else if (layer.handle?.routeTable) for (const r of layer.handle.routeTable.list()) found.add(`${r.method} ${r.path}`);
      else if (layer.handle?.stack) walk(layer.handle.stack);
    }
  };
  walk(app.router.stack as Layer[]);
  return found;
}

/** The routes of ROUTES that the server implements today (others are still being built). */
export async function liveRoutes(): Promise<LiveRoute[]> {
  const registered = await registeredRoutes();
  return Object.entries(ROUTES as Record<string, RouteContract>)
    .filter(([, r]) => registered.has(`${r.method} ${r.path}`))
    .map(([name, r]) => ({ name, ...r }));
}
