/**
 * Signed outbound webhooks against a real receiver on 127.0.0.1 that verifies every delivery
 * with the `standardwebhooks` package: events from real API changes, retries with backoff on
 * the test clock, a restart mid-backoff, secret rotation, failing endpoints, and the refusals.
 */
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { call, newKey, newUser, signIn, startServer, startSmtp, type RunningServer, type SmtpCatcher, type TestUser } from './harness.js';
import { api, expectEnvelope, expectNoServerErrors, expectValidationError, nextMail } from './support.js';
import { joinOrg, orgPath, sqlOn } from './tenancy-support.js';
import { startReceiver, type Receiver } from './webhook-receiver.js';

const ENV = { ACCT_WEBHOOKS_ALLOW_PRIVATE: 'true', ACCT_TEST_CLOCK: '1', NODE_ENV: 'test', ACCT_WEBHOOK_POLL_MS: '50', ACCT_WEBHOOK_TIMEOUT_MS: '1500' };
const ALL_EVENTS = ['api_key.created', 'api_key.revoked', 'member.added', 'member.removed', 'project.created', 'project.deleted', 'invitation.created', 'webhook.test'];

let server: RunningServer;
let smtp: SmtpCatcher;
let receiver: Receiver;
let owner: TestUser;
let offset = 0;

async function moveClock(seconds: number): Promise<void> {
  offset += seconds;
  expectEnvelope(await call(server.url, 'POST', '/__test/clock', { body: { offsetSeconds: offset } }), 200, 'OK');
}

async function createEndpoint(url: string, events = ALL_EVENTS, as = owner) {
  const res = await api(server.url, 'POST', orgPath(as.organizationId, '/webhooks'), { cookie: as.cookie, body: { url, events, description: 'test receiver' } });
  expectEnvelope(res, 201, 'OK');
  return res.body.data as { id: string; secret: string; status: string };
}

async function deliveries(webhookId: string, as = owner) {
  const res = await api(server.url, 'GET', orgPath(as.organizationId, `/webhooks/${webhookId}/deliveries?limit=100`), { cookie: as.cookie });
  expectEnvelope(res, 200, 'OK');
  return res.body.data as { id: string; messageId: string; eventType: string; status: string; attempts: number; nextAttemptAt: string | null; lastStatusCode: number | null; lastDurationMs: number | null; lastError: string | null }[];
}

async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value).slice(0, 600)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  smtp = await startSmtp();
  receiver = await startReceiver();
  server = await startServer({ ...ENV, SMTP_URL: smtp.url });
  owner = await newUser(server.url, 'hooks-owner');
});
afterAll(async () => {
  expectNoServerErrors(server);
  await server.stop();
  await receiver.close();
  await smtp.close();
});

describe('webhook endpoints', () => {
  it('shows the signing secret once, in Standard Webhooks form, and never again', async () => {
    const created = await createEndpoint(receiver.url);
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(created.status).toBe('active');
    const got = await api(server.url, 'GET', orgPath(owner.organizationId, `/webhooks/${created.id}`), { cookie: owner.cookie });
    expectEnvelope(got, 200, 'OK');
    const list = await api(server.url, 'GET', orgPath(owner.organizationId, '/webhooks'), { cookie: owner.cookie });
    for (const text of [got.text, list.text]) expect(text).not.toContain(created.secret.slice(6));
    const rows = await sqlOn(server, 'SELECT * FROM webhook_endpoints');
    expect(JSON.stringify(rows)).not.toContain(created.secret.slice(6));
    expectEnvelope(await api(server.url, 'DELETE', orgPath(owner.organizationId, `/webhooks/${created.id}`), { cookie: owner.cookie }), 200, 'OK');
    expectEnvelope(await api(server.url, 'GET', orgPath(owner.organizationId, `/webhooks/${created.id}`), { cookie: owner.cookie }), 404, 'NOT_FOUND');
  });

  it('delivers signed events for a key created through the API, a member removed and a project deleted', async () => {
    const endpoint = await createEndpoint(receiver.url);
    receiver.secrets.add(endpoint.secret);
    const key = await newKey(server.url, owner.cookie, ['projects:read'], { metadata: { organizationId: owner.organizationId } });
    const member = await newUser(server.url, 'hooks-member');
    await joinOrg(server, smtp, owner, owner.organizationId, member, 'member');
    expectEnvelope(await api(server.url, 'DELETE', orgPath(owner.organizationId, `/members/${member.id}`), { cookie: owner.cookie }), 200, 'OK');
    const project = await api(server.url, 'POST', orgPath(owner.organizationId, '/projects'), { cookie: owner.cookie, body: { name: 'Hooked' } });
    expectEnvelope(await api(server.url, 'DELETE', orgPath(owner.organizationId, `/projects/${project.body.data.id}`), { cookie: owner.cookie }), 200, 'OK');

    await receiver.waitFor((r) => ['api_key.created', 'invitation.created', 'member.added', 'member.removed', 'project.created', 'project.deleted'].every((t) => r.some((x) => x.event.type === t)), 'six event types');
    // Every delivery verified by the standardwebhooks package with the endpoint's secret.
    expect(receiver.received.filter((r) => !r.verified)).toEqual([]);
    expect(receiver.ofType('api_key.created')[0]!.event.data).toMatchObject({ id: key.id, name: 'test key', organizationId: owner.organizationId });
    expect(receiver.ofType('member.removed')[0]!.event.data).toMatchObject({ userId: member.id });
    expect(receiver.ofType('project.deleted')[0]!.event.data).toMatchObject({ id: project.body.data.id, name: 'Hooked' });
    for (const r of receiver.received) {
      expect(Object.keys(r.event).sort()).toEqual(['data', 'timestamp', 'type']);
      expect(r.id).toMatch(/^msg_/);
      expect(r.body).not.toContain(key.key);
    }
    // Each event once: the worker sent nothing twice.
    expect(new Set(receiver.received.map((r) => r.id)).size).toBe(receiver.received.length);
    const listed = await until(() => deliveries(endpoint.id), (d) => d.length >= 6 && d.every((x) => x.status === 'delivered'), 'deliveries marked delivered');
    for (const d of listed) {
      expect(d.lastStatusCode).toBe(200);
      expect(d.attempts).toBe(1);
      expect(d.lastDurationMs).toBeGreaterThanOrEqual(0);
    }
    expectEnvelope(await api(server.url, 'DELETE', orgPath(owner.organizationId, `/webhooks/${endpoint.id}`), { cookie: owner.cookie }), 200, 'OK');
  });

  it('queues an event only for the endpoints subscribed to its type, and only enabled ones', async () => {
    const deletedOnly = await createEndpoint(receiver.url, ['project.deleted']);
    const createdOnly = await createEndpoint(receiver.url, ['project.created']);
    const disabled = await createEndpoint(receiver.url, ['project.created', 'project.deleted']);
    expectEnvelope(await api(server.url, 'PATCH', orgPath(owner.organizationId, `/webhooks/${disabled.id}`), { cookie: owner.cookie, body: { enabled: false } }), 200, 'OK');
    const project = await api(server.url, 'POST', orgPath(owner.organizationId, '/projects'), { cookie: owner.cookie, body: { name: 'Subscribed' } });
    expectEnvelope(await api(server.url, 'DELETE', orgPath(owner.organizationId, `/projects/${project.body.data.id}`), { cookie: owner.cookie }), 200, 'OK');
    expect((await deliveries(deletedOnly.id)).map((d) => d.eventType)).toEqual(['project.deleted']);
    expect((await deliveries(createdOnly.id)).map((d) => d.eventType)).toEqual(['project.created']);
    expect(await deliveries(disabled.id)).toEqual([]);
    for (const { id } of [deletedOnly, createdOnly, disabled]) expectEnvelope(await api(server.url, 'DELETE', orgPath(owner.organizationId, `/webhooks/${id}`), { cookie: owner.cookie }), 200, 'OK');
  });

  it('sends a test event, and redelivers a delivery with the same webhook-id', async () => {
    const endpoint = await createEndpoint(receiver.url, ['webhook.test']);
    receiver.secrets.add(endpoint.secret);
    const before = receiver.ofType('webhook.test').length;
    const queued = await api(server.url, 'POST', orgPath(owner.organizationId, `/webhooks/${endpoint.id}/test`), { cookie: owner.cookie });
    expectEnvelope(queued, 202, 'OK');
    await receiver.waitFor((r) => r.filter((x) => x.event.type === 'webhook.test').length === before + 1, 'the test event');
    const first = receiver.ofType('webhook.test').at(-1)!;
    expect(first.verified).toBe(true);
    expect(first.event.data).toEqual({ webhookId: endpoint.id, organizationId: owner.organizationId });
    await until(() => deliveries(endpoint.id), (d) => d[0]?.status === 'delivered', 'the test delivery recorded');
    const again = await api(server.url, 'POST', orgPath(owner.organizationId, `/webhooks/${endpoint.id}/deliveries/${queued.body.data.id}/redeliver`), { cookie: owner.cookie });
    expectEnvelope(again, 202, 'OK');
    expect(again.body.data.messageId).toBe(queued.body.data.messageId);
    await receiver.waitFor((r) => r.filter((x) => x.event.type === 'webhook.test').length === before + 2, 'the redelivery');
    const second = receiver.ofType('webhook.test').at(-1)!;
    expect(second.id).toBe(first.id);
    expect(second.body).toBe(first.body);
    expect(second.verified).toBe(true);
    expectEnvelope(await api(server.url, 'POST', orgPath(owner.organizationId, `/webhooks/${endpoint.id}/deliveries/no-such-delivery/redeliver`), { cookie: owner.cookie }), 404, 'NOT_FOUND');
    expectEnvelope(await api(server.url, 'DELETE', orgPath(owner.organizationId, `/webhooks/${endpoint.id}`), { cookie: owner.cookie }), 200, 'OK');
  });

  it('signs with the old and the new secret during a rotation overlap, then with the new one alone', async () => {
    const endpoint = await createEndpoint(receiver.url, ['webhook.test']);
    const rotated = await api(server.url, 'POST', orgPath(owner.organizationId, `/webhooks/${endpoint.id}/rotate-secret`), { cookie: owner.cookie, body: { overlapSeconds: 3600 } });
    expectEnvelope(rotated, 200, 'OK');
    const fresh = rotated.body.data.secret as string;
    expect(fresh).not.toBe(endpoint.secret);
    expect(rotated.body.data.previousSecretExpiresAt).not.toBeNull();
    const send = async () => {
      const before = receiver.received.length;
      expectEnvelope(await api(server.url, 'POST', orgPath(owner.organizationId, `/webhooks/${endpoint.id}/test`), { cookie: owner.cookie }), 202, 'OK');
      await receiver.waitFor((r) => r.length > before, 'a test delivery');
      return receiver.received.at(-1)!;
    };
    const verifies = (secret: string, r: { body: string; id: string; timestamp: string; signature: string }) => {
      try {
        new Webhook(secret).verify(r.body, { 'webhook-id': r.id, 'webhook-timestamp': r.timestamp, 'webhook-signature': r.signature });
        return true;
      } catch {
        return false;
      }
    };
    const during = await send();
    expect(during.signature.split(' ')).toHaveLength(2);
    expect(verifies(endpoint.secret, during)).toBe(true);
    expect(verifies(fresh, during)).toBe(true);

    await moveClock(3601);
    const after = await send();
    expect(after.signature.split(' ')).toHaveLength(1);
    expect(verifies(fresh, after)).toBe(true);
    expect(verifies(endpoint.secret, after)).toBe(false);
    expectEnvelope(await api(server.url, 'DELETE', orgPath(owner.organizationId, `/webhooks/${endpoint.id}`), { cookie: owner.cookie }), 200, 'OK');
  });
});

describe('retries', () => {
  it('retries with growing delays while the receiver is down and delivers once it is back', async () => {
    const down = await startReceiver();
    try {
      down.behave({ status: 503 });
      const endpoint = await createEndpoint(down.url, ['webhook.test']);
      down.secrets.add(endpoint.secret);
      expectEnvelope(await api(server.url, 'POST', orgPath(owner.organizationId, `/webhooks/${endpoint.id}/test`), { cookie: owner.cookie }), 202, 'OK');
      const delays: number[] = [];
      for (let attempt = 1; attempt <= 3; attempt++) {
        const [d] = await until(() => deliveries(endpoint.id), (x) => x[0]?.attempts === attempt, `attempt ${attempt}`);
        expect(d!.status).toBe('pending');
        expect(d!.lastStatusCode).toBe(503);
        const wait = (Date.parse(d!.nextAttemptAt!) - Date.parse(d!.lastAttemptAt!)) / 1000;
        delays.push(wait);
        // Nothing happens before the delay is over.
        await new Promise((r) => setTimeout(r, 300));
        expect((await deliveries(endpoint.id))[0]!.attempts).toBe(attempt);
        if (attempt < 3) await moveClock(Math.ceil(wait) + 1);
      }
      // 5 s, 20 s, 80 s, each ±20%.
      expect(delays[0]).toBeGreaterThanOrEqual(4);
      expect(delays[0]).toBeLessThanOrEqual(6);
      expect(delays[1]).toBeGreaterThanOrEqual(16);
      expect(delays[1]).toBeLessThanOrEqual(24);
      expect(delays[2]).toBeGreaterThanOrEqual(64);
      expect(delays[2]).toBeLessThanOrEqual(96);
      down.behave({ status: 204 });
      await moveClock(Math.ceil(delays[2]!) + 1);
      const [d] = await until(() => deliveries(endpoint.id), (x) => x[0]?.status === 'delivered', 'delivery after recovery');
      expect(d!.attempts).toBe(4);
      expect(d!.lastStatusCode).toBe(204);
      expect(down.received).toHaveLength(4);
      expect(new Set(down.received.map((r) => r.id)).size).toBe(1);
      expect(down.received.every((r) => r.verified)).toBe(true);
    } finally {
      await down.close();
    }
  });

  it('marks an endpoint failing after a run of failures and mails the owners, once; a success clears it', async () => {
    const down = await startReceiver();
    try {
      down.behave({ status: 500 });
      const endpoint = await createEndpoint(down.url, ['webhook.test']);
      expectEnvelope(await api(server.url, 'POST', orgPath(owner.organizationId, `/webhooks/${endpoint.id}/test`), { cookie: owner.cookie }), 202, 'OK');
      for (let attempt = 1; attempt <= 5; attempt++) {
        await until(() => deliveries(endpoint.id), (x) => x[0]?.attempts === attempt, `attempt ${attempt}`);
        if (attempt < 5) await moveClock(2 * 3600);
      }
      const got = await until(
        async () => (await api(server.url, 'GET', orgPath(owner.organizationId, `/webhooks/${endpoint.id}`), { cookie: owner.cookie })).body.data,
        (w) => w.status === 'failing', 'the endpoint marked failing',
      );
      expect(got.failingSince).not.toBeNull();
      const mail = await nextMail(smtp, owner.email, /webhook endpoint .* failing/i);
      expect(mail.text).toContain(endpoint.id);
      expect(mail.text).not.toContain(endpoint.secret.slice(6));
      down.behave({ status: 200 });
      await moveClock(12 * 3600);
      await until(() => deliveries(endpoint.id), (x) => x[0]?.status === 'delivered', 'delivered at last');
      const healed = await api(server.url, 'GET', orgPath(owner.organizationId, `/webhooks/${endpoint.id}`), { cookie: owner.cookie });
      expect(healed.body.data).toMatchObject({ status: 'active', failingSince: null });
      expect(smtp.mails.filter((m) => m.to.includes(owner.email) && /failing/i.test(m.subject))).toHaveLength(1);
    } finally {
      await down.close();
    }
  });

  it('does not follow redirects, reads no more than it needs of an endless answer, and gives up on a silent receiver', async () => {
    const target = await startReceiver();
    const odd = await startReceiver();
    try {
      const endpoint = await createEndpoint(odd.url, ['webhook.test']);
      const test = () => api(server.url, 'POST', orgPath(owner.organizationId, `/webhooks/${endpoint.id}/test`), { cookie: owner.cookie });

      odd.behave({ status: 301, location: target.url });
      const redirected = (await test()).body.data.id as string;
      const r = await until(() => deliveries(endpoint.id), (x) => x.find((d) => d.id === redirected)?.attempts === 1, 'the redirected attempt');
      expect(r.find((d) => d.id === redirected)).toMatchObject({ status: 'pending', lastStatusCode: 301, lastError: expect.stringMatching(/redirect/) });
      expect(target.received).toHaveLength(0);

      odd.behave('endless');
      const endless = (await test()).body.data.id as string;
      const e = await until(() => deliveries(endpoint.id), (x) => x.find((d) => d.id === endless)?.attempts === 1, 'the endless answer', 10_000);
      expect(e.find((d) => d.id === endless)!.lastStatusCode).toBe(200);

      odd.behave('silent');
      const silent = (await test()).body.data.id as string;
      const s = await until(() => deliveries(endpoint.id), (x) => x.find((d) => d.id === silent)?.attempts === 1, 'the silent receiver', 10_000);
      const failed = s.find((d) => d.id === silent)!;
      expect(failed.lastStatusCode).toBeNull();
      expect(failed.lastError).toMatch(/no answer within 1500 ms/);
      expect(failed.lastDurationMs).toBeLessThan(5000);
    } finally {
      await odd.close();
      await target.close();
    }
  });
});

describe('restarts', () => {
  it('an event still in the audit outbox when the process is killed is delivered once after the restart', async () => {
    const receiver = await startReceiver();
    // Nothing flushes the outbox on its own: no flush timer, no worker pass, within the test.
    const own = await startServer({ ...ENV, ACCT_AUDIT_FLUSH_MS: '3600000', ACCT_WEBHOOK_POLL_MS: '3600000' });
    try {
      const user = await newUser(own.url, 'killed');
      const created = await api(own.url, 'POST', orgPath(user.organizationId, '/webhooks'), { cookie: user.cookie, body: { url: receiver.url, events: ['project.created'] } });
      expectEnvelope(created, 201, 'OK');
      receiver.secrets.add(created.body.data.secret);
      await new Promise((r) => setTimeout(r, 5));
      expectEnvelope(await api(own.url, 'POST', orgPath(user.organizationId, '/projects'), { cookie: user.cookie, body: { name: 'In the outbox' } }), 201, 'OK');
      const waiting = await sqlOn(own, "SELECT id, event FROM audit_outbox WHERE action = 'project.created'");
      expect(waiting).toHaveLength(1);
      expect(JSON.parse(String(waiting[0]!['event']))).toMatchObject({ type: 'project.created', data: { name: 'In the outbox' } });
      expect(await sqlOn(own, 'SELECT id FROM webhook_deliveries')).toHaveLength(0);
      own.process.kill('SIGKILL');
      await once(own.process, 'exit');

      const again = await startServer(ENV, own.dataDir);
      try {
        await receiver.waitFor((r) => r.length === 1, 'the event after the restart');
        await new Promise((r) => setTimeout(r, 500));
        expect(receiver.received).toHaveLength(1);
        expect(receiver.received[0]).toMatchObject({ id: `msg_${String(waiting[0]!['id'])}`, verified: true });
        expect(receiver.received[0]!.event.data).toMatchObject({ name: 'In the outbox' });
        expect(await sqlOn(again, 'SELECT id FROM audit_outbox')).toHaveLength(0);
        expect(await sqlOn(again, "SELECT id FROM audit_entries WHERE action = 'project.created'")).toHaveLength(1);
      } finally {
        await again.stop();
      }
    } finally {
      await own.stop();
      await receiver.close();
    }
  });

  it('a restart mid-backoff loses nothing: the new process delivers the pending event once', async () => {
    const down = await startReceiver();
    const own = await startServer(ENV);
    try {
      const user = await newUser(own.url, 'restart');
      down.behave({ status: 502 });
      const created = await api(own.url, 'POST', orgPath(user.organizationId, '/webhooks'), { cookie: user.cookie, body: { url: down.url, events: ['project.created'] } });
      expectEnvelope(created, 201, 'OK');
      down.secrets.add(created.body.data.secret);
      expectEnvelope(await api(own.url, 'POST', orgPath(user.organizationId, '/projects'), { cookie: user.cookie, body: { name: 'Survivor' } }), 201, 'OK');
      await down.waitFor((r) => r.length === 1, 'the first, failing attempt');
      // SIGTERM by hand: stop() would also drop the test's PostgreSQL database, which the restart needs.
      own.process.kill('SIGTERM');
      const [code] = await once(own.process, 'exit');
      expect(code).toBe(0);

      down.behave({ status: 200 });
      const again = await startServer(ENV, own.dataDir);
      try {
        const fresh = await signIn(again.url, user.email, user.password);
        expectEnvelope(await call(again.url, 'POST', '/__test/clock', { body: { offsetSeconds: 60 } }), 200, 'OK');
        await down.waitFor((r) => r.length === 2, 'the retry after the restart');
        await new Promise((r) => setTimeout(r, 500));
        expect(down.received).toHaveLength(2);
        expect(down.received[1]!.id).toBe(down.received[0]!.id);
        expect(down.received[1]!.verified).toBe(true);
        expect(down.received[1]!.event.data).toMatchObject({ name: 'Survivor' });
        const listed = await api(again.url, 'GET', orgPath(user.organizationId, `/webhooks/${created.body.data.id}/deliveries`), { cookie: fresh });
        expect(listed.body.data[0]).toMatchObject({ status: 'delivered', attempts: 2 });
      } finally {
        await again.stop();
      }
    } finally {
      await own.stop();
      await down.close();
    }
  });
});

describe('destinations', () => {
  let strict: RunningServer;
  let user: TestUser;
  beforeAll(async () => {
    strict = await startServer();
    user = await newUser(strict.url, 'strict');
  });
  afterAll(async () => {
    await strict.stop();
  });

  it.each([
    ['http://example.com/hook', 'https'],
    ['https://127.0.0.1/hook', 'public'],
    ['https://10.1.2.3/hook', 'public'],
    ['https://169.254.169.254/latest/meta-data', 'public'],
    ['https://[::1]/hook', 'public'],
    ['https://[::ffff:127.0.0.1]/hook', 'public'],
    ['https://localhost/hook', 'public'],
    ['https://intranet/hook', 'public'],
    ['https://user:pass@example.com/hook', 'credentials'],
    ['ftp://example.com/hook', 'https'],
    ['not a url', 'absolute'],
  ])('refuses %s without ACCT_WEBHOOKS_ALLOW_PRIVATE (names the problem: %s)', async (url, word) => {
    const res = await api(strict.url, 'POST', orgPath(user.organizationId, '/webhooks'), { cookie: user.cookie, body: { url, events: ['project.created'] } });
    expectValidationError(res, 'url');
    expect(res.body.message).toContain(word);
  });

  it('accepts a public https URL (names are resolved and checked at send time, not here)', async () => {
    const res = await api(strict.url, 'POST', orgPath(user.organizationId, '/webhooks'), { cookie: user.cookie, body: { url: 'https://hooks.example.com/acct', events: ['project.created'] } });
    expectEnvelope(res, 201, 'OK');
  });

  it('checks the addresses a name resolves to when sending, so a name rebound to loopback is refused', async () => {
    const { sendDelivery } = await import('../dist/webhooks/send.js');
    const local = await startReceiver();
    try {
      const port = new URL(local.url).port;
      // `localhost` resolves to loopback, as a rebinding name would at send time.
      const blocked = await sendDelivery(`https://localhost:${port}/hook`, {}, '{}', { timeoutMs: 2000, allowPrivate: false });
      expect(blocked).toMatchObject({ statusCode: null, error: expect.stringMatching(/non-public address/) });
      const literal = await sendDelivery(`https://127.0.0.1:${port}/hook`, {}, '{}', { timeoutMs: 2000, allowPrivate: false });
      expect(literal.error).toMatch(/not a public address/);
      const plain = await sendDelivery(`http://localhost:${port}/hook`, {}, '{}', { timeoutMs: 2000, allowPrivate: false });
      expect(plain.error).toMatch(/https/);
      expect(local.received).toHaveLength(0);
      // With the switch, the same name is reached.
      const allowed = await sendDelivery(`http://localhost:${port}/hook`, {}, '{"type":"x","timestamp":"t","data":{}}', { timeoutMs: 2000, allowPrivate: true });
      expect(allowed).toMatchObject({ statusCode: 200, error: null });
    } finally {
      await local.close();
    }
  });
});
