import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface Received {
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  event: { type: string; timestamp: string; data: Record<string, any> };
  /** True when the `standardwebhooks` package verified it with one of the receiver's secrets. */
  verified: boolean;
}

/** How the receiver answers the next request: a status, a redirect, an endless body, or silence. */
export type Behaviour = { status: number; location?: string } | 'endless' | 'silent';

/**
 * A real webhook receiver on 127.0.0.1: every delivery is verified with the `standardwebhooks`
 * package (not our code) against the secrets it is given, and kept.
 */
export async function startReceiver() {
  const received: Received[] = [];
  const secrets = new Set<string>();
  let behaviour: Behaviour = { status: 200 };
  const hanging = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = { 'webhook-id': String(req.headers['webhook-id'] ?? ''), 'webhook-timestamp': String(req.headers['webhook-timestamp'] ?? ''), 'webhook-signature': String(req.headers['webhook-signature'] ?? '') };
      const verified = [...secrets].some((s) => {
        try {
          new Webhook(s).verify(body, headers);
          return true;
        } catch {
          return false;
        }
      });
      const now = behaviour;
      if (now === 'silent') {
        hanging.add(res);
        return;
      }
      received.push({ id: headers['webhook-id'], timestamp: headers['webhook-timestamp'], signature: headers['webhook-signature'], body, event: JSON.parse(body), verified });
      if (now === 'endless') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        const chunk = Buffer.alloc(16 * 1024, 'x');
        const pump = () => {
          while (!res.destroyed && res.write(chunk));
          if (!res.destroyed) res.once('drain', pump);
        };
        res.on('error', () => {});
        pump();
        return;
      }
      res.writeHead(now.status, now.location ? { location: now.location } : {});
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return {
    url,
    received,
    secrets,
    behave(next: Behaviour) {
      behaviour = next;
    },
    /** Waits until `predicate` holds over what arrived. */
    async waitFor(predicate: (r: Received[]) => boolean, what: string, timeoutMs = 15_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(received)) {
        if (Date.now() > deadline) throw new Error(`receiver: timed out waiting for ${what}; got ${received.map((r) => r.event.type).join(', ') || 'nothing'}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    ofType: (type: string) => received.filter((r) => r.event.type === type),
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>;
