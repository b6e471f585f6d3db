import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createContext, type Context, type GlobalOptions } from '../src/context.js';
import type { Clock } from '../src/lib/clock.js';
import type { IO, Prompter } from '../src/lib/io.js';
import { KeychainUnavailableError, FileStore, type Secrets, type SecretStore } from '../src/lib/secrets.js';
import type { RawRequest, RawResponse, Transport } from '../src/lib/transport.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, '../../..');
export const BIN = path.join(ROOT, 'packages/cli/dist/bin.js');

// ---------------------------------------------------------------------------------------------
// The built CLI as a person or a CI job runs it: its own process, a throwaway HOME.

export interface Home {
  dir: string;
  configDir: string;
  env: Record<string, string>;
}

/** A fresh HOME and XDG config dir, and an environment holding only what the CLI needs. */
export function tempHome(extra: Record<string, string> = {}): Home {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acct-cli-'));
  const config = path.join(dir, 'config');
  return {
    dir,
    configDir: path.join(config, 'acct'),
    env: { PATH: process.env['PATH'] ?? '', HOME: dir, XDG_CONFIG_HOME: config, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/acct-test-bus', ...extra },
  };
}

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node dist/bin.js …` with exactly this environment (no inherited ACCT_*). */
export function acct(args: string[], env: Record<string, string>, input?: string, timeoutMs = 30_000): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`acct ${args.join(' ')} timed out\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input ?? '');
  });
}

// ---------------------------------------------------------------------------------------------
// Drives the CLI through a real pseudo-terminal with python3's pty module: waits for each
// prompt, types the answer as a person would, and returns everything the terminal showed.
const DRIVER = `
import json, os, pty, re, select, sys, time
argv, steps = json.loads(sys.argv[1]), json.loads(sys.argv[2])
pid, fd = pty.fork()
if pid == 0:
    os.execv(argv[0], argv)
out = b''
def read_until(pattern, timeout=20):
    global out
    deadline = time.time() + timeout
    while not re.search(pattern.encode(), out):
        if time.time() > deadline:
            raise SystemExit('timed out waiting for %r; got %r' % (pattern, out.decode(errors='replace')))
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                out += os.read(fd, 4096)
            except OSError:
                break
for pattern, answer in steps:
    read_until(pattern)
    time.sleep(0.05)
    for ch in answer:
        os.write(fd, ch.encode())
        time.sleep(0.005)
while True:
    r, _, _ = select.select([fd], [], [], 0.2)
    if r:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    else:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
_, status = os.waitpid(pid, 0) if not 'done' in dir() or not done else (done, status)
print(json.dumps({'code': os.waitstatus_to_exitcode(status), 'screen': out.decode(errors='replace')}))
`;

export function inTerminal(args: string[], steps: [string, string][], env: Record<string, string>): Promise<{ code: number; screen: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acct-pty-'));
  const driver = path.join(dir, 'driver.py');
  fs.writeFileSync(driver, DRIVER);
  return new Promise((resolve, reject) => {
    const child = spawn('python3', [driver, JSON.stringify([process.execPath, BIN, ...args]), JSON.stringify(steps)], { env: { ...env, TERM: 'xterm' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`pty driver failed (${code}): ${stderr}${stdout}`));
      resolve(JSON.parse(stdout));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// A private Secret Service: its own D-Bus session and gnome-keyring with a login collection.
// (A keyring unlocked with an empty password has no default collection, so libsecret clients,
// @napi-rs/keyring included, find nowhere to store; a non-empty one creates "login".)

export interface Keyring {
  env: { DBUS_SESSION_BUS_ADDRESS: string };
  stop(): Promise<void>;
}

function lineFrom(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`no output from ${child.spawnfile}`)), timeoutMs);
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(buf.slice(0, nl).trim());
      }
    });
  });
}

export async function startKeyring(): Promise<Keyring> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acct-keyring-'));
  const bus = spawn('dbus-daemon', ['--session', '--nofork', '--print-address=1'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const address = await lineFrom(bus, 5_000);
  const env = { PATH: process.env['PATH'] ?? '', HOME: dir, XDG_DATA_HOME: path.join(dir, 'data'), XDG_RUNTIME_DIR: dir, DBUS_SESSION_BUS_ADDRESS: address };
  const daemon = spawn('gnome-keyring-daemon', ['--unlock', '--components=secrets', '--foreground'], { env, stdio: ['pipe', 'ignore', 'ignore'] });
  daemon.stdin!.end('acct-test-keyring-password');
  const deadline = Date.now() + 10_000;
  // Ask the bus whether our daemon owns the name yet: calling the service itself would make
  // D-Bus activate a second, locked gnome-keyring that has no login collection.
  const dbus = (...args: string[]) => spawnSync('dbus-send', ['--session', '--print-reply', ...args], { env, encoding: 'utf8' });
  for (;;) {
    const owned = dbus('--dest=org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.NameHasOwner', 'string:org.freedesktop.secrets');
    const probe = /boolean true/.test(owned.stdout) ? dbus('--dest=org.freedesktop.secrets', '/org/freedesktop/secrets', 'org.freedesktop.Secret.Service.ReadAlias', 'string:default') : owned;
    if (probe.status === 0 && /collection\/login/.test(probe.stdout)) break;
    if (Date.now() > deadline) {
      daemon.kill('SIGTERM');
      bus.kill('SIGTERM'); // its bus-activated helpers exit with it
      throw new Error(`gnome-keyring did not come up: ${probe.stderr}${probe.stdout}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    env: { DBUS_SESSION_BUS_ADDRESS: address },
    async stop() {
      for (const p of [daemon, bus]) {
        if (p.exitCode !== null || p.signalCode !== null) continue;
        await new Promise<void>((resolve) => {
          p.once('exit', () => resolve());
          p.kill('SIGTERM');
        });
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Fakes for unit tests: the real context and HTTP client over a scripted transport.

export interface FakeIO extends IO {
  stdout: string;
  stderr: string;
}

export interface FakeIOOptions {
  stdin?: string;
  tty?: boolean;
  /** Answers to prompts in order. */
  answers?: string[];
}

export function fakeIO(opts: FakeIOOptions = {}): FakeIO & { prompts: string[] } {
  const answers = [...(opts.answers ?? [])];
  const prompts: string[] = [];
  const tty = Boolean(opts.tty);
  const next = async (message: string) => {
    prompts.push(message);
    const a = answers.shift();
    if (a === undefined) throw new Error(`unexpected prompt: ${message}`);
    return a;
  };
  const prompter: Prompter = { input: next, password: next, checkbox: async (message) => (await next(message)).split(',').filter(Boolean) };
  const io = {
    stdout: '',
    stderr: '',
    prompts,
    out(text: string) {
      io.stdout += text;
    },
    err(text: string) {
      io.stderr += text;
    },
    readStdin: async () => opts.stdin ?? '',
    stdinIsTTY: tty,
    stdoutIsTTY: tty,
    stderrIsTTY: tty,
    color: false,
    canPrompt: tty,
    prompter,
  };
  return io;
}

/** An in-memory keychain; `unavailable` makes it behave like a machine without one. */
export class MemoryStore implements SecretStore {
  readonly kind = 'keychain' as const;
  readonly description = 'the test keychain';
  readonly items = new Map<string, string>();
  constructor(public unavailable = false) {}
  private check() {
    if (this.unavailable) throw new KeychainUnavailableError('no secret service in this test');
  }
  async get(a: string) {
    this.check();
    return this.items.get(a) ?? null;
  }
  async set(a: string, s: string) {
    this.check();
    this.items.set(a, s);
  }
  async delete(a: string) {
    this.check();
    return this.items.delete(a);
  }
  async probe() {
    this.check();
  }
}

export interface FakeReply {
  status?: number;
  body?: unknown;
  headers?: Record<string, string | string[]>;
}

export type Route = (req: RawRequest & { json: any; pathname: string; query: URLSearchParams }) => FakeReply | Promise<FakeReply>;

/** A transport answering from a function; records every request. */
export function fakeTransport(route: Route): Transport & { requests: RawRequest[] } {
  const requests: RawRequest[] = [];
  const t = (async (req: RawRequest): Promise<RawResponse> => {
    requests.push(req);
    const url = new URL(req.url);
    let json: unknown;
    try {
      json = req.body ? JSON.parse(req.body.toString()) : undefined;
    } catch {
      json = undefined;
    }
    const reply = await route({ ...req, json, pathname: url.pathname, query: url.searchParams });
    const status = reply.status ?? 200;
    const body = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body ?? { success: true, status, code: 'OK', message: 'ok', data: null, meta: { requestId: 'r' } });
    return { status, statusText: '', headers: { 'content-type': 'application/json', ...(reply.headers ?? {}) }, body };
  }) as Transport & { requests: RawRequest[] };
  t.requests = requests;
  return t;
}

/** A success envelope. */
export function ok(data: unknown, status = 200): FakeReply {
  return { status, body: { success: true, status, code: 'OK', message: 'ok', data, meta: { requestId: 'req-1' } } };
}

/** An error envelope. */
export function fail(status: number, code: string, message: string, headers: Record<string, string> = {}): FakeReply {
  return { status, headers, body: { success: false, status, code, message, data: null, meta: { requestId: 'req-1' } } };
}

export class FakeClock implements Clock {
  readonly sleeps: number[] = [];
  private t = Date.parse('2026-05-05T10:00:00Z');
  now() {
    return new Date(this.t);
  }
  async sleep(ms: number) {
    this.sleeps.push(ms);
    this.t += ms;
  }
}

export interface Fake {
  ctx: Context;
  io: ReturnType<typeof fakeIO>;
  transport: ReturnType<typeof fakeTransport>;
  keychain: MemoryStore;
  clock: FakeClock;
  home: Home;
}

/** The real context (config in a temp dir, real HttpClient) over fakes for IO, network, keychain and time. */
export function fake(route: Route, opts: FakeIOOptions & { globals?: GlobalOptions; env?: Record<string, string>; keychainUnavailable?: boolean; home?: Home } = {}): Fake {
  const home = opts.home ?? tempHome();
  const io = fakeIO(opts);
  const transport = fakeTransport(route);
  const keychain = new MemoryStore(Boolean(opts.keychainUnavailable));
  const clock = new FakeClock();
  const secrets: Secrets = { keychain, file: new FileStore(home.configDir) };
  const ctx = createContext({ host: 'http://127.0.0.1:3999', ...opts.globals }, { io, env: { ...home.env, ...opts.env }, transport, secrets, clock });
  return { ctx, io, transport, keychain, clock, home };
}

/** A syntactically valid PAT (right prefix, length and checksum) that no server issued. */
export async function fakePat(): Promise<string> {
  const { issueToken } = await import('@acct/shared');
  return issueToken('pat').token;
}
