/**
 * `acct webhooks listen --forward-to URL` (like `stripe listen`) against a real server: the built
 * CLI relays each delivery to a receiver on 127.0.0.1 that verifies it with the `standardwebhooks`
 * package and the secret the CLI printed; the receiver's answers show in the deliveries list; Ctrl-C
 * deletes the relay.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { email, PASSWORD, startServer, type RunningServer } from '../../server/test/harness.js';
import { startReceiver, type Receiver } from '../../server/test/webhook-receiver.js';
import { acct, BIN, tempHome, type Home, type Result } from './helpers.js';

let server: RunningServer;
let receiver: Receiver;
let home: Home;
let listener: ChildProcessWithoutNullStreams | null = null;
const run = (...args: string[]): Promise<Result> => acct(args, home.env);
async function ok(...args: string[]): Promise<any> {
  const r = await run(...args);
  expect(r.code, `acct ${args.join(' ')}\n${r.stderr}`).toBe(0);
  return args.includes('--json') ? JSON.parse(r.stdout) : r.stdout;
}

beforeAll(async () => {
  receiver = await startReceiver();
  // No ACCT_WEBHOOKS_ALLOW_PRIVATE: the server never calls 127.0.0.1 itself, the CLI does.
  server = await startServer({ ACCT_WEBHOOK_POLL_MS: '50' });
  home = tempHome({ ACCT_HOST: server.url });
  const address = email('cli-listen');
  expect((await acct(['signup', '--email', address, '--name', 'Listener', '--password-stdin'], home.env, `${PASSWORD}\n`)).code).toBe(0);
  expect((await acct(['login', '--email', address, '--password-stdin'], home.env, `${PASSWORD}\n`)).code).toBe(0);
});
afterAll(async () => {
  listener?.kill('SIGKILL');
  await server?.stop();
  await receiver?.close();
});

/** Waits until `read()` returns something `done` accepts (the worker and the relay are asynchronous). */
async function eventually<T>(read: () => Promise<T>, done: (v: T) => boolean, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('acct webhooks listen', () => {
  it('forwards signed events to the local URL, reports the answers, and deletes its relay on Ctrl-C', async () => {
    const child = spawn(process.execPath, [BIN, 'webhooks', 'listen', '--forward-to', receiver.url, '--event', 'project.created'], { env: home.env, stdio: ['pipe', 'pipe', 'pipe'] });
    listener = child;
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const secret = await eventually(async () => /signing secret is (whsec_\S+)/.exec(stderr)?.[1], Boolean, `the secret on stderr (${stderr})`);
    expect(stderr).toContain('Ready!');
    receiver.secrets.add(secret!);

    const [relay] = await ok('webhooks', 'list', '--json');
    expect(relay).toMatchObject({ kind: 'relay', url: '', events: ['project.created'], status: 'active' });

    await ok('projects', 'create', '--name', 'Relayed');
    await receiver.waitFor((r) => r.some((x) => x.event.type === 'project.created'), 'project.created through the relay');
    const first = receiver.ofType('project.created')[0]!;
    expect(first.verified).toBe(true);
    expect(first.event.data).toMatchObject({ name: 'Relayed' });
    const delivered = await eventually(() => ok('webhooks', 'deliveries', relay.id, '--json'), (d: any[]) => d.length === 1 && d[0].status === 'delivered', 'the delivered row');
    expect(delivered[0]).toMatchObject({ messageId: first.id, eventType: 'project.created', attempts: 1, lastStatusCode: 200, lastError: null });
    expect(delivered[0].lastDurationMs).toBeGreaterThanOrEqual(0);
    await eventually(async () => stdout, (s) => s.includes(first.id) && s.includes('→ 200'), 'the delivery line on stdout');

    // A receiver that answers 500: a failed delivery, with its status code, and no retry.
    receiver.behave({ status: 500 });
    await ok('projects', 'create', '--name', 'Refused');
    await receiver.waitFor((r) => r.filter((x) => x.event.type === 'project.created').length === 2, 'the second project.created');
    const failed = await eventually(() => ok('webhooks', 'deliveries', relay.id, '--status', 'failed', '--json'), (d: any[]) => d.length === 1, 'the failed row');
    expect(failed[0]).toMatchObject({ eventType: 'project.created', status: 'failed', attempts: 1, lastStatusCode: 500, lastError: 'answered 500', nextAttemptAt: null });
    receiver.behave({ status: 200 });

    child.kill('SIGINT');
    expect(await exited, stderr).toBe(0);
    listener = null;
    expect(stderr).toContain(`relay ${relay.id} deleted`);
    expect(await ok('webhooks', 'list', '--json')).toEqual([]);
    // Gone for good: nothing more is relayed or queued for it.
    await ok('projects', 'create', '--name', 'After');
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.ofType('project.created')).toHaveLength(2);
  });

  it('refuses a missing or non-http --forward-to and unknown event types before asking the server (exit 2)', async () => {
    const missing = await run('webhooks', 'listen');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--forward-to');
    const ftp = await run('webhooks', 'listen', '--forward-to', 'ftp://localhost/hook');
    expect(ftp.code).toBe(2);
    expect(ftp.stderr).toContain('http or https');
    const unknown = await run('webhooks', 'listen', '--forward-to', receiver.url, '--event', 'project.exploded');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('project.exploded');
    expect(await ok('webhooks', 'list', '--json')).toEqual([]);
  });
});
