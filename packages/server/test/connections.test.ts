// test-dialects: sqlite — socket timeouts and per-address connection caps; no assertion depends on the database
/**
 * Connection limits (docs/operations.md "Connections"): a client that sends its headers slowly is
 * cut after ACCT_HEADERS_TIMEOUT_MS, idle keep-alive connections close after
 * ACCT_KEEP_ALIVE_TIMEOUT_MS, and one address holds at most ACCT_MAX_CONNECTIONS_PER_IP.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from './harness.js';

let server: RunningServer;
let port: number;
beforeAll(async () => {
  server = await startServer({ ACCT_HEADERS_TIMEOUT_MS: '1000', ACCT_REQUEST_TIMEOUT_MS: '2000', ACCT_KEEP_ALIVE_TIMEOUT_MS: '700', ACCT_MAX_CONNECTIONS_PER_IP: '4' });
  port = Number(new URL(server.url).port);
});
afterAll(async () => {
  await server.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A raw connection that records what the server sent and when it closed. */
async function connect(): Promise<{ socket: net.Socket; received: () => string; closed: Promise<number> }> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let data = '';
  socket.on('data', (d: Buffer) => (data += d.toString()));
  socket.on('error', () => {});
  const opened = Date.now();
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now() - opened)));
  return { socket, received: () => data, closed };
}

describe('connection limits', () => {
  it('cuts a client that trickles its headers once the headers timeout passed (not after a minute)', async () => {
    const c = await connect();
    c.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
    let trickling = true;
    void (async () => {
      for (let i = 0; trickling && i < 100; i++) {
        await sleep(200);
        if (!c.socket.destroyed) c.socket.write(`X-Slow-${i}: y\r\n`);
      }
    })();
    const lived = await Promise.race([c.closed, sleep(15_000).then(() => -1)]);
    trickling = false;
    c.socket.destroy();
    expect(lived, 'the slow-header connection was still open after 15 s').toBeGreaterThan(0);
    expect(lived).toBeLessThan(5000);
    expect(c.received()).toMatch(/^HTTP\/1\.1 408/);
  });

  it('closes an idle keep-alive connection after the keep-alive timeout and says so in Keep-Alive', async () => {
    const c = await connect();
    c.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    const lived = await Promise.race([c.closed, sleep(15_000).then(() => -1)]);
    c.socket.destroy();
    expect(c.received()).toMatch(/^HTTP\/1\.1 200/);
    expect(c.received()).toMatch(/Keep-Alive: timeout=0\b|Keep-Alive: timeout=1\b/i);
    expect(lived).toBeGreaterThan(0);
    expect(lived).toBeLessThan(5000);
  });

  it('refuses connections over the per-address cap with 429 in the envelope, and accepts again once one closed', async () => {
    const held = await Promise.all(Array.from({ length: 4 }, () => connect()));
    const over = await connect();
    await Promise.race([over.closed, sleep(5000)]);
    expect(over.received()).toMatch(/^HTTP\/1\.1 429/);
    const body = JSON.parse(over.received().split('\r\n\r\n')[1]!);
    expect(body).toMatchObject({ success: false, status: 429, code: 'RATE_LIMITED', data: null });
    expect(body.message).toMatch(/at most 4/);

    held[0]!.socket.destroy();
    await held[0]!.closed;
    await sleep(100);
    const again = await fetch(`${server.url}/healthz`, { headers: { connection: 'close' } });
    expect(again.status).toBe(200);
    for (const h of held) h.socket.destroy();
    expect(server.output()).toMatch(/too many open connections from one address/);
  });
});
