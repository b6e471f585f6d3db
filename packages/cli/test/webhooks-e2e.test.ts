/**
 * `acct webhooks …` and `acct audit` against a real server, with a real receiver that verifies
 * deliveries with the `standardwebhooks` package.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { email, PASSWORD, startServer, type RunningServer } from '../../server/test/harness.js';
import { startReceiver, type Receiver } from '../../server/test/webhook-receiver.js';
import { acct, tempHome, type Home, type Result } from './helpers.js';

let server: RunningServer;
let receiver: Receiver;
let home: Home;
const run = (...args: string[]): Promise<Result> => acct(args, home.env);
async function ok(...args: string[]): Promise<any> {
  const r = await run(...args);
  expect(r.code, `acct ${args.join(' ')}\n${r.stderr}`).toBe(0);
  return args.includes('--json') ? JSON.parse(r.stdout) : r.stdout;
}

beforeAll(async () => {
  receiver = await startReceiver();
  server = await startServer({ ACCT_WEBHOOKS_ALLOW_PRIVATE: 'true', ACCT_WEBHOOK_POLL_MS: '50' });
  home = tempHome({ ACCT_HOST: server.url });
  const address = email('cli-hooks');
  expect((await acct(['signup', '--email', address, '--name', 'Hooks', '--password-stdin'], home.env, `${PASSWORD}\n`)).code).toBe(0);
  expect((await acct(['login', '--email', address, '--password-stdin'], home.env, `${PASSWORD}\n`)).code).toBe(0);
});
afterAll(async () => {
  await server?.stop();
  await receiver?.close();
});

describe('acct webhooks', () => {
  it('create prints the secret alone on stdout; list, test, deliveries, redeliver, rotate-secret and delete work', async () => {
    const secret = (await ok('webhooks', 'create', '--url', receiver.url, '--event', 'project.created', '--event', 'webhook.test', '--description', 'cli')).trim();
    expect(secret).toMatch(/^whsec_/);
    receiver.secrets.add(secret);
    const [hook] = await ok('webhooks', 'list', '--json');
    expect(hook).toMatchObject({ url: receiver.url, events: ['project.created', 'webhook.test'], status: 'active' });
    expect(JSON.stringify(hook)).not.toContain(secret.slice(6));

    await ok('projects', 'create', '--name', 'From the CLI');
    await receiver.waitFor((r) => r.some((x) => x.event.type === 'project.created'), 'project.created');
    await ok('webhooks', 'test', hook.id);
    await receiver.waitFor((r) => r.some((x) => x.event.type === 'webhook.test'), 'webhook.test');
    expect(receiver.received.every((r) => r.verified)).toBe(true);

    let deliveries: any[] = [];
    for (let i = 0; i < 100; i++) {
      deliveries = await ok('webhooks', 'deliveries', hook.id, '--json');
      if (deliveries.length === 2 && deliveries.every((d) => d.status === 'delivered')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(deliveries.map((d) => d.eventType).sort()).toEqual(['project.created', 'webhook.test']);
    const table = await ok('webhooks', 'deliveries', hook.id);
    expect(table).toContain('delivered');
    expect(await ok('webhooks', 'deliveries', hook.id, '--status', 'failed', '--json')).toEqual([]);

    const before = receiver.received.length;
    await ok('webhooks', 'redeliver', hook.id, deliveries[0].id);
    await receiver.waitFor((r) => r.length === before + 1, 'the redelivery');
    expect(receiver.received.at(-1)!.id).toBe(deliveries[0].messageId);

    const fresh = (await ok('webhooks', 'rotate-secret', hook.id, '--overlap', '0s')).trim();
    expect(fresh).toMatch(/^whsec_/);
    expect(fresh).not.toBe(secret);
    receiver.secrets.clear();
    receiver.secrets.add(fresh);
    await ok('webhooks', 'test', hook.id);
    await receiver.waitFor((r) => r.length === before + 2, 'a delivery signed with the new secret');
    expect(receiver.received.at(-1)!.verified).toBe(true);

    await ok('webhooks', 'delete', hook.id);
    expect(await ok('webhooks', 'list', '--json')).toEqual([]);
  });

  it('refuses unknown event types and missing flags before asking the server (exit 2)', async () => {
    const unknown = await run('webhooks', 'create', '--url', receiver.url, '--event', 'project.exploded');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('project.exploded');
    expect((await run('webhooks', 'create', '--event', 'project.created')).code).toBe(2);
    expect((await run('webhooks', 'deliveries', 'x', '--status', 'lost')).code).toBe(2);
  });
});

describe('acct audit', () => {
  it('shows your own events, and the organization log filtered by --action and --since, with --json and --jq', async () => {
    const own = await ok('audit', '--json');
    expect(own.map((e: { action: string }) => e.action)).toContain('user.signed_in');
    const [org] = await ok('orgs', 'list', '--json');
    const all = await ok('audit', '--org', org.id, '--json', '--limit', '100');
    expect(all.map((e: { action: string }) => e.action)).toEqual(expect.arrayContaining(['webhook.created', 'webhook.secret_rotated', 'webhook.deleted', 'project.created']));
    const hooks = await ok('audit', '--org', org.id, '--action', 'webhook.*', '--json');
    expect(new Set(hooks.map((e: { action: string }) => e.action))).toEqual(new Set(['webhook.created', 'webhook.secret_rotated', 'webhook.deleted', 'webhook.redelivered']));
    expect(await ok('audit', '--org', org.id, '--since', '2999-01-01T00:00:00Z', '--json')).toEqual([]);
    expect((await ok('audit', '--org', org.id, '--since', '1h', '--json')).length).toBe(all.length);
    const jq = await ok('audit', '--org', org.id, '--action', 'project.created', '--jq', '.[].target.type');
    expect(jq.trim()).toBe('project');
    const table = await ok('audit', '--org', org.id, '--action', 'project.created');
    expect(table).toContain('project.created');
    expect((await run('audit', '--since', 'yesterday')).code).toBe(2);
  });
});
