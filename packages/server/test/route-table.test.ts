// test-dialects: sqlite — the route table against Express in process; no database
// The route table (http/route-table.ts) matches as Express's router did, in process: the same
// routes registered on both answer every probe path alike.
import http from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import express, { Router } from 'express';
import { ROUTES } from '@acct/shared';
import { ROOT } from './harness.js';

const { RouteTable } = (await import(pathToFileURL(path.join(ROOT, 'packages/server/dist/http/route-table.js')).href)) as typeof import('../src/http/route-table.js');

/** Every contract's path, plus patterns that shadow fixed paths and a fixed path registered twice. */
const ROUTE_LIST: [string, string][] = [
  ...Object.values(ROUTES).map((r) => [r.method.toLowerCase(), r.path] as [string, string]),
  ['get', '/x/:id'],
  ['get', '/x/fixed'],
  ['get', '/y/fixed'],
  ['get', '/y/:id'],
  ['get', '/y/fixed'],
  ['get', '/healthz'],
];

function register(r: Router): void {
  ROUTE_LIST.forEach(([method, p], i) => {
    (r as unknown as Record<string, (p: string, h: express.RequestHandler) => void>)[method]!(p, (req, res) => {
      res.json({ route: i, params: req.params });
    });
  });
}

async function serve(app: express.Express): Promise<{ url: string; server: http.Server }> {
  app.use((_req, res) => res.status(404).json({ route: null }));
  app.use(((err, _req, res, _next) => res.status(400).json({ error: String((err as Error).name) })) as express.ErrorRequestHandler);
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server };
}

let viaExpress: { url: string; server: http.Server };
let viaTable: { url: string; server: http.Server };
beforeAll(async () => {
  const a = express();
  const router = Router();
  register(router);
  a.use(router);
  viaExpress = await serve(a);
  const b = express();
  const table = new RouteTable();
  register(table.router);
  b.use(table.middleware());
  viaTable = await serve(b);
});
afterAll(async () => {
  for (const s of [viaExpress, viaTable]) await new Promise<void>((resolve) => s.server.close(() => resolve()));
});

async function probe(base: string, method: string, p: string) {
  const res = await fetch(base + p, { method, ...(method === 'POST' || method === 'PATCH' ? { body: '{}', headers: { 'content-type': 'application/json' } } : {}) });
  return { status: res.status, body: method === 'HEAD' ? '' : await res.text() };
}

const PROBES: [string, string][] = [
  ['GET', '/api/user/me'], ['GET', '/api/user/me/'], ['GET', '/API/User/ME'], ['GET', '/api/user/me?x=1&y=/a/b'], ['HEAD', '/api/user/me'],
  ['PATCH', '/api/user/me'], ['DELETE', '/api/user/me'], ['GET', '/api/user/me//'], ['GET', '//api/user/me'],
  ['GET', '/api/user/organizations/Org_AbC/projects'], ['GET', '/api/user/organizations/org%2Fx/projects'], ['GET', '/api/user/organizations/%C3%A9t%C3%A9/projects'],
  ['GET', '/api/user/organizations//projects'], ['GET', '/api/user/organizations/a/projects/b'], ['DELETE', '/api/user/organizations/a/projects/b/'],
  ['POST', '/api/intake/team_1'], ['GET', '/api/intake/team_1'], ['GET', '/api/user/invitations'], ['GET', '/api/auth/api-key/get?id=ak_1'],
  ['GET', '/x/fixed'], ['GET', '/x/other'], ['GET', '/y/fixed'], ['GET', '/y/other'], ['GET', '/healthz'], ['GET', '/nowhere'], ['GET', '/'],
  ['GET', '/api/user/organizations/a%ZZ/projects'],
];

describe('the route table', () => {
  it.each(PROBES)('answers %s %s as the Express router does', async (method, p) => {
    const [expected, actual] = await Promise.all([probe(viaExpress.url, method, p), probe(viaTable.url, method, p)]);
    expect(actual).toEqual(expected);
  });

  it('finds the routes it should (the probes are not all misses)', async () => {
    const me = await probe(viaTable.url, 'GET', '/API/user/me/');
    expect(me.status).toBe(200);
    const params = JSON.parse((await probe(viaTable.url, 'GET', '/api/user/organizations/org%2Fx/projects')).body) as { params: Record<string, string> };
    expect(params.params).toEqual({ organizationId: 'org/x' });
    expect(JSON.parse((await probe(viaTable.url, 'GET', '/x/fixed')).body)).toMatchObject({ params: { id: 'fixed' } });
  });

  it('refuses what it cannot honour: several handlers, middleware, a route added after the first request', async () => {
    const table = new RouteTable();
    table.router.get('/a', () => undefined);
    table.middleware()({ method: 'GET', url: '/b' } as never, {} as never, () => undefined);
    expect(() => table.router.get('/c', () => undefined)).toThrow(/after the table was built/);
    const fresh = new RouteTable();
    expect(() => fresh.router.get('/a', () => undefined, () => undefined)).toThrow(/one handler/);
    expect(() => fresh.router.use(() => undefined)).toThrow(/not middleware/);
  });
});
