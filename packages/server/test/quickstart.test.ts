// test-dialects: sqlite — scripts/server starts on SQLite in ./data as the README says, whatever the pass
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './harness.js';

const HERE = path.join(ROOT, 'packages/server/test/quickstart');

interface ScriptServer {
  url: string;
  process: ChildProcess;
  output(): string;
}

/** Starts the server the way the README says: `scripts/server` with PORT=0 and a fresh ACCT_DATA_DIR. */
function startWithScript(): Promise<ScriptServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'acct-quickstart-'));
  const child = spawn(path.join(ROOT, 'scripts/server'), [], {
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', PORT: '0', ACCT_DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`scripts/server did not print its URL:\n${out}`)), 50_000);
    child.stdout!.on('data', () => {
      const m = /^listening on (http:\/\/\S+)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1]!, process: child, output: () => out });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`scripts/server exited with ${code}:\n${out}`));
    });
  });
}

function stop(server: ScriptServer | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (!server || server.process.exitCode !== null) return resolve();
    server.process.once('exit', () => resolve());
    server.process.kill('SIGTERM');
  });
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd: os.tmpdir(), env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '' }, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const REPLAYS = {
  curl: (url: string) => run('bash', [path.join(HERE, 'quickstart.sh'), url]),
  node: (url: string) => run(process.execPath, [path.join(HERE, 'quickstart.mjs'), url]),
  python: (url: string) => run('python3', [path.join(HERE, 'quickstart.py'), url]),
} as const;

const servers: Partial<Record<keyof typeof REPLAYS, ScriptServer>> = {};

beforeAll(async () => {
  // The first start builds; the next two find the build up to date and can start together.
  servers.curl = await startWithScript();
  [servers.node, servers.python] = await Promise.all([startWithScript(), startWithScript()]);
});
afterAll(async () => {
  await Promise.all(Object.values(servers).map(stop));
});

describe('the Quick Start works verbatim against a server started as the README says', () => {
  it('scripts/server prints the URL it listens on', () => {
    expect(servers.curl!.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it.each(Object.keys(REPLAYS) as (keyof typeof REPLAYS)[])('in %s: all four steps answer as the seed shows', async (language) => {
    const result = await REPLAYS[language](servers[language]!.url);
    expect(result.stderr.split('\n').filter((l) => l.startsWith('quickstart'))).toEqual([]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('all four steps behaved as the Quick Start says');
    // Never a whole key in the output.
    expect(result.stdout + result.stderr).not.toMatch(/ba_[0-9A-Za-z]{20}/);
  });

  it('a replay fails, naming the step, when the server answers otherwise (the account already exists)', async () => {
    // Runs after the node replay, on the same server: sign-up now answers 409.
    const again = await REPLAYS.node(servers.node!.url);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('step 1 (sign-up)');
  });

  it('no server answered a 500', () => {
    for (const server of Object.values(servers)) expect(server.output()).not.toContain('"msg":"request failed"');
  });
});
