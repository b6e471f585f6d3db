/**
 * SIGTERM (API.md "Starting the server"): stop accepting, let in-flight requests finish, close
 * the database, exit 0, as a rolling deploy or `docker stop` expects.
 */
import http from 'node:http';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { email, PASSWORD, startServer, withTestDb, type RunningServer } from './harness.js';
import { expectNoServerErrors } from './support.js';

let server: RunningServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.stop('SIGKILL');
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('SIGTERM', () => {
  it('drains a request that is in flight, refuses new connections, and exits 0', async () => {
    const address = email('drain');
    const body = JSON.stringify({ email: address, password: PASSWORD, name: 'Drained' });
    const { hostname, port } = new URL(server.url);

    // A client that sends its body slowly: the request is in flight when SIGTERM arrives.
    const req = http.request({ hostname, port, method: 'POST', path: '/api/auth/sign-up/email', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } });
    const response = new Promise<{ status: number; text: string }>((resolve, reject) => {
      req.on('response', (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on('error', reject);
    });
    req.write(body.slice(0, 20));
    await sleep(150);

    const exited = new Promise<number | null>((resolve) => server.process.once('exit', (code) => resolve(code)));
    server.process.kill('SIGTERM');
    await sleep(300);
    expect(server.process.exitCode).toBeNull(); // still draining

    // No new connections while draining.
    const refused = await fetch(`${server.url}/healthz`).then(() => 'answered', (err: Error) => (err.cause as { code?: string })?.code ?? err.message);
    expect(refused).toBe('ECONNREFUSED');

    req.end(body.slice(20));
    const res = await response;
    expect(res.status, res.text).toBe(201);
    expect(JSON.parse(res.text).data.user.email).toBe(address);

    const started = Date.now();
    expect(await exited).toBe(0);
    // Promptly: not after the client's keep-alive timeout (5 s) or the drain timeout (10 s).
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(server.output()).not.toMatch(/drain timed out/);
    expectNoServerErrors(server);

    // The drained request was committed before the database closed.
    const rows = await withTestDb(server, (db) => db.all('SELECT email FROM users WHERE email = ?', [address]));
    expect(rows).toEqual([{ email: address }]);
  });
});

describe('SIGTERM with keep-alive clients', () => {
  it('answers every request in flight at the signal with Connection: close, so no client reuses a connection the drain will cut', async () => {
    const own = await startServer();
    const { hostname, port } = new URL(own.url);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 6 });
    try {
      // Six keep-alive connections the server has accepted (each answered a request first, so none
      // is still waiting in the listen backlog when the signal closes it), each then with a request
      // whose body is still coming at the signal.
      await Promise.all(
        Array.from({ length: 6 }, () => new Promise<void>((resolve, reject) => {
          http.get({ hostname, port, agent, path: '/healthz' }, (res) => res.resume().on('end', () => resolve())).on('error', reject);
        })),
      );
      const inFlight = Array.from({ length: 6 }, (_, i) => {
        const body = JSON.stringify({ email: email(`keepalive-${i}`), password: PASSWORD, name: `K ${i}` });
        const req = http.request({ hostname, port, agent, method: 'POST', path: '/api/auth/sign-up/email', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } });
        const answer = new Promise<{ status: number; connection: string | undefined }>((resolve, reject) => {
          req.on('response', (res) => {
            res.resume();
            res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers['connection'] }));
          });
          req.on('error', reject);
        });
        req.write(body.slice(0, 10));
        return { req, body, answer };
      });
      await sleep(200);
      const exited = once(own.process, 'exit');
      own.process.kill('SIGTERM');
      await sleep(200);
      for (const r of inFlight) r.req.end(r.body.slice(10));
      const answers = await Promise.all(inFlight.map((r) => r.answer));
      expect(answers).toEqual(answers.map(() => ({ status: 201, connection: 'close' })));
      expect((await exited)[0]).toBe(0);
    } finally {
      agent.destroy();
      await own.stop('SIGKILL');
    }
  });
});
