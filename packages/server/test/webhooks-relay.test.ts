/**
 * Relay endpoints (`acct webhooks listen`) over HTTP: the worker never sends a relay's deliveries;
 * a poll hands them out signed (verified here with the `standardwebhooks` package), waits for new
 * ones, and hands a delivery whose result never came back out again once its lease ends; results
 * show in the deliveries list; a relay nobody polls expires; the refusals.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { call, newUser, startServer, type RunningServer, type TestUser } from './harness.js';
import { api, expectEnvelope, expectNoServerErrors, expectValidationError } from './support.js';
import { orgPath } from './tenancy-support.js';

let server: RunningServer;
let owner: TestUser;
let offset = 0;

async function moveClock(seconds: number): Promise<void> {
  offset += seconds;
  expectEnvelope(await call(server.url, 'POST', '/__test/clock', { body: { offsetSeconds: offset } }), 200, 'OK');
}

beforeAll(async () => {
  server = await startServer({ ACCT_TEST_CLOCK: '1', NODE_ENV: 'test', ACCT_WEBHOOK_POLL_MS: '50' });
  owner = await newUser(server.url, 'relay-owner');
});
afterAll(async () => {
  if (server) expectNoServerErrors(server);
  await server?.stop();
});

const path = (p: string) => orgPath(owner.organizationId, p);

async function createRelay(events?: string[]) {
  const res = await api(server.url, 'POST', path('/webhooks/relays'), { cookie: owner.cookie, body: events ? { events } : {} });
  expectEnvelope(res, 201, 'OK');
  return res.body.data as { id: string; kind: string; url: string; events: string[]; secret: string };
}

async function poll(relayId: string, wait = 0) {
  const res = await api(server.url, 'POST', path(`/webhooks/${relayId}/relay/poll`), { cookie: owner.cookie, body: { wait } });
  expectEnvelope(res, 200, 'OK');
  return res.body.data as { deliveryId: string; messageId: string; eventType: string; headers: Record<string, string>; body: string }[];
}

async function report(relayId: string, deliveryId: string, body: Record<string, unknown>) {
  return api(server.url, 'POST', path(`/webhooks/${relayId}/deliveries/${deliveryId}/relay-result`), { cookie: owner.cookie, body });
}

async function createProject(name: string) {
  expectEnvelope(await api(server.url, 'POST', path('/projects'), { cookie: owner.cookie, body: { name } }), 201, 'OK');
}

describe('webhook relays', () => {
  it('hands a relay its events signed with its secret, records the results, and never lets the worker send them', async () => {
    const relay = await createRelay(['project.created']);
    expect(relay).toMatchObject({ kind: 'relay', url: '', events: ['project.created'] });
    expect(relay.secret).toMatch(/^whsec_/);
    expect(await poll(relay.id)).toEqual([]);

    await createProject('Relayed one');
    // Well past the worker's poll interval: it must have left the delivery pending and unclaimed.
    await new Promise((r) => setTimeout(r, 300));
    const [d] = await poll(relay.id);
    expect(d).toBeDefined();
    expect(d!.eventType).toBe('project.created');
    const event = new Webhook(relay.secret).verify(d!.body, d!.headers) as { type: string; data: Record<string, unknown> };
    expect(event).toMatchObject({ type: 'project.created', data: { name: 'Relayed one' } });
    expect(d!.headers['webhook-id']).toBe(d!.messageId);
    // Claimed: a second poll does not hand it out again while its lease runs.
    expect(await poll(relay.id)).toEqual([]);

    const done = await report(relay.id, d!.deliveryId, { statusCode: 204, durationMs: 12 });
    expectEnvelope(done, 200, 'OK');
    expect(done.body.data).toMatchObject({ id: d!.deliveryId, status: 'delivered', attempts: 1, lastStatusCode: 204, lastDurationMs: 12, lastError: null });
    expectEnvelope(await report(relay.id, d!.deliveryId, { statusCode: 204, durationMs: 12 }), 409, 'CONFLICT');
    expectEnvelope(await report(relay.id, 'NOSUCHDELIVERY000000000000', { statusCode: 204, durationMs: 1 }), 404, 'NOT_FOUND');

    const list = await api(server.url, 'GET', path(`/webhooks/${relay.id}/deliveries`), { cookie: owner.cookie });
    expect(list.body.data).toMatchObject([{ id: d!.deliveryId, status: 'delivered', lastStatusCode: 204 }]);
    const audit = await api(server.url, 'GET', path('/audit-log?action=webhook.created'), { cookie: owner.cookie });
    expect(audit.body.data.find((r: any) => r.target?.id === relay.id)).toMatchObject({ detail: { relay: true, events: ['project.created'] } });
  });

  it('a waiting poll answers as soon as an event arrives; no answer from the receiver is a failed delivery', async () => {
    const relay = await createRelay();
    expect(relay.events).toContain('project.created');
    const started = Date.now();
    const waiting = poll(relay.id, 20);
    await new Promise((r) => setTimeout(r, 400));
    await createProject('While waiting');
    const got = await waiting;
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(got.map((d) => d.eventType)).toEqual(['project.created']);
    const failed = await report(relay.id, got[0]!.deliveryId, { statusCode: null, durationMs: 3, error: 'ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:4000' });
    expectEnvelope(failed, 200, 'OK');
    expect(failed.body.data).toMatchObject({ status: 'failed', lastStatusCode: null, lastError: 'ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:4000', nextAttemptAt: null });
    expectEnvelope(await api(server.url, 'DELETE', path(`/webhooks/${relay.id}`), { cookie: owner.cookie }), 200, 'OK');
  });

  it('hands a delivery out again when its result never came back (the listener died mid-forward)', async () => {
    const relay = await createRelay(['project.created']);
    await createProject('Lost once');
    const [first] = await poll(relay.id);
    expect(await poll(relay.id)).toEqual([]);
    await moveClock(61);
    const [again] = await poll(relay.id);
    expect(again).toMatchObject({ deliveryId: first!.deliveryId, messageId: first!.messageId });
    expectEnvelope(await report(relay.id, again!.deliveryId, { statusCode: 200, durationMs: 5 }), 200, 'OK');
    expectEnvelope(await api(server.url, 'DELETE', path(`/webhooks/${relay.id}`), { cookie: owner.cookie }), 200, 'OK');
  });

  it('a relay nobody polls for two minutes is deleted, with its deliveries, and audited', async () => {
    const relay = await createRelay(['project.created']);
    await createProject('Never collected');
    await moveClock(60);
    await poll(relay.id); // keeps it alive: claims the delivery, pushes the expiry 120 s on
    await moveClock(100);
    await new Promise((r) => setTimeout(r, 300));
    expectEnvelope(await api(server.url, 'GET', path(`/webhooks/${relay.id}`), { cookie: owner.cookie }), 200, 'OK');
    await moveClock(30);
    const deadline = Date.now() + 10_000;
    let res = await api(server.url, 'GET', path(`/webhooks/${relay.id}`), { cookie: owner.cookie });
    while (res.status === 200 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      res = await api(server.url, 'GET', path(`/webhooks/${relay.id}`), { cookie: owner.cookie });
    }
    expectEnvelope(res, 404, 'NOT_FOUND');
    expectEnvelope(await api(server.url, 'POST', path(`/webhooks/${relay.id}/relay/poll`), { cookie: owner.cookie, body: { wait: 0 } }), 404, 'NOT_FOUND');
    const audit = await api(server.url, 'GET', path('/audit-log?action=webhook.deleted'), { cookie: owner.cookie });
    expect(audit.body.data.find((r: any) => r.target?.id === relay.id)).toMatchObject({ actor: { type: 'anonymous' }, detail: { relay: true, reason: 'expired' } });
  });

  it('refuses to poll an endpoint with a URL, to give a relay a URL, bad bodies, and an eleventh relay', async () => {
    const hook = await api(server.url, 'POST', path('/webhooks'), { cookie: owner.cookie, body: { url: 'https://hooks.example.com/relay-test', events: ['webhook.test'] } });
    expectEnvelope(hook, 201, 'OK');
    expectEnvelope(await api(server.url, 'POST', path(`/webhooks/${hook.body.data.id}/relay/poll`), { cookie: owner.cookie, body: {} }), 409, 'CONFLICT');
    const relay = await createRelay(['webhook.test']);
    expectValidationError(await api(server.url, 'PATCH', path(`/webhooks/${relay.id}`), { cookie: owner.cookie, body: { url: 'https://hooks.example.com/x' } }), 'url');
    expectValidationError(await api(server.url, 'POST', path(`/webhooks/${relay.id}/relay/poll`), { cookie: owner.cookie, body: { wait: 26 } }), 'wait');
    expectValidationError(await report(relay.id, 'NOSUCHDELIVERY000000000000', { statusCode: 42, durationMs: 1 }), 'statusCode');
    expectValidationError(await api(server.url, 'POST', path('/webhooks/relays'), { cookie: owner.cookie, body: { events: ['project.exploded'] } }), 'events.0');
    const more = [];
    for (let i = 0; i < 9; i++) more.push(await createRelay(['webhook.test']));
    const eleventh = await api(server.url, 'POST', path('/webhooks/relays'), { cookie: owner.cookie, body: {} });
    expectEnvelope(eleventh, 409, 'CONFLICT');
    expect(eleventh.body.message).toContain('10 relays');
  });

  it('a waiting poll answers at once, empty, when the server drains (SIGTERM)', async () => {
    const own = await startServer({ ACCT_WEBHOOK_POLL_MS: '50' });
    try {
      const user = await newUser(own.url, 'relay-drain');
      const made = await api(own.url, 'POST', orgPath(user.organizationId, '/webhooks/relays'), { cookie: user.cookie, body: {} });
      expectEnvelope(made, 201, 'OK');
      const started = Date.now();
      const waiting = api(own.url, 'POST', orgPath(user.organizationId, `/webhooks/${made.body.data.id}/relay/poll`), { cookie: user.cookie, body: { wait: 25 } });
      await new Promise((r) => setTimeout(r, 500));
      const stopped = own.stop();
      const answer = await waiting;
      expectEnvelope(answer, 200, 'OK');
      expect(answer.body.data).toEqual([]);
      // Without the drain hook the poll holds the server's drain for its whole 25 s.
      expect(Date.now() - started).toBeLessThan(10_000);
      await stopped;
    } finally {
      await own.stop().catch(() => undefined);
    }
  });
});
