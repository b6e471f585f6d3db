/**
 * Several instances on one database send each event exactly once: every instance runs a
 * delivery worker, and a delivery is claimed by one of them (FOR UPDATE SKIP LOCKED on
 * PostgreSQL; SQLite serialises the claiming writes).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, newUser, SHARED_REDIS, startServer, TEST_DIALECT, type RunningServer } from './harness.js';
import { expectEnvelope } from './support.js';
import { orgPath, sqlOn } from './tenancy-support.js';
import { startReceiver, type Receiver } from './webhook-receiver.js';

const ENV = { ...SHARED_REDIS, ACCT_WEBHOOKS_ALLOW_PRIVATE: 'true', ACCT_WEBHOOK_POLL_MS: '20', ACCT_CREDIT_COSTS: JSON.stringify({ 'projects.create': 0 }) };
let instances: RunningServer[] = [];
let receiver: Receiver;

beforeAll(async () => {
  receiver = await startReceiver();
  const first = await startServer(ENV);
  instances = [first, ...(await Promise.all([startServer(ENV, first.dataDir), startServer(ENV, first.dataDir)]))];
});
afterAll(async () => {
  for (const s of instances.slice().reverse()) await s.stop();
  await receiver.close();
});

describe(`three instances on ${TEST_DIALECT}`, () => {
  it('deliver each of 100 events exactly once', async () => {
    const [a] = instances;
    const user = await newUser(a!.url, 'scale-hooks');
    const hook = await call(a!.url, 'POST', orgPath(user.organizationId, '/webhooks'), { cookie: user.cookie, body: { url: receiver.url, events: ['project.created'] } });
    expectEnvelope(hook, 201, 'OK');
    receiver.secrets.add(hook.body.data.secret);
    // Made through all three instances, ten at a time, while all three workers poll.
    for (let batch = 0; batch < 10; batch++) {
      const made = await Promise.all(Array.from({ length: 10 }, (_, i) => {
        const n = batch * 10 + i;
        return call(instances[n % 3]!.url, 'POST', orgPath(user.organizationId, '/projects'), { cookie: user.cookie, body: { name: `p${n}` } });
      }));
      for (const res of made) expect(res.status).toBe(201);
    }
    await receiver.waitFor((r) => new Set(r.map((x) => x.id)).size >= 100, '100 distinct events', 60_000);
    // Give a duplicate, if any were coming, time to arrive.
    await new Promise((r) => setTimeout(r, 1500));
    expect(receiver.received).toHaveLength(100);
    expect(new Set(receiver.received.map((r) => r.id)).size).toBe(100);
    expect(new Set(receiver.received.map((r) => r.event.data['name'])).size).toBe(100);
    expect(receiver.received.every((r) => r.verified)).toBe(true);
    const rows = await sqlOn(instances[0]!, "SELECT status, attempts FROM webhook_deliveries WHERE event_type = 'project.created'");
    expect(rows).toHaveLength(100);
    expect(rows.every((r) => r['status'] === 'delivered' && Number(r['attempts']) === 1)).toBe(true);
  });
});
