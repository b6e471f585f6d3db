import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { email, PASSWORD, startServer, type RunningServer } from '../../server/test/harness.js';
import { acct, BIN, tempHome } from './helpers.js';

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

function inTerminal(args: string[], steps: [string, string][], env: Record<string, string>): Promise<{ code: number; screen: string }> {
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

let server: RunningServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
});

describe('interactive prompts in a terminal', () => {
  it('signup and login prompt like a person expects, and the password never echoes', async () => {
    const home = tempHome({ ACCT_HOST: server.url });
    const address = email('pty');
    const up = await inTerminal(
      ['signup'],
      [
        ['Email', `${address}\r`],
        ['Name', 'Pty Person\r'],
        ['Password \\(at least', `${PASSWORD}\r`],
        ['Password again', `${PASSWORD}\r`],
      ],
      home.env,
    );
    expect(up.code, up.screen).toBe(0);
    expect(up.screen).toContain('Account created');
    expect(up.screen).not.toContain(PASSWORD);

    const login = await inTerminal(['login'], [['Email', `${address}\r`], ['Password', `${PASSWORD}\r`]], home.env);
    expect(login.code, login.screen).toBe(0);
    expect(login.screen).toContain(`Logged in to ${server.url} as ${address}`);
    expect(login.screen).toContain(address); // what a person types in the email prompt is shown…
    expect(login.screen).not.toContain(PASSWORD); // …but not a single password character sequence
    expect(login.screen).not.toMatch(/a-long-secure/);

    // The session the terminal created is there for the next (non-interactive) run.
    const who = await acct(['whoami'], home.env);
    expect(who.stdout).toBe(`${address}\n`);
  });

  it('a wrong password in the terminal is exit 4 and still not echoed', async () => {
    const home = tempHome({ ACCT_HOST: server.url });
    const r = await inTerminal(['login', '--email', 'nobody@example.com'], [['Password', 'wrong-password-typed\r']], home.env);
    expect(r.code).toBe(4);
    expect(r.screen).toContain('INVALID_CREDENTIALS');
    expect(r.screen).not.toContain('wrong-password-typed');
  });

  it('acct call pretty-prints JSON in colour on a terminal, and NO_COLOR turns colour off', async () => {
    const home = tempHome({ ACCT_HOST: server.url });
    const colour = await inTerminal(['call', '/api/auth/scopes'], [], home.env);
    expect(colour.code, colour.screen).toBe(0);
    expect(colour.screen).toContain('\x1b[');
    expect(colour.screen).toMatch(/\n {2}"?.*success/);
    const plain = await inTerminal(['call', '/api/auth/scopes'], [], { ...home.env, NO_COLOR: '1' });
    expect(plain.code, plain.screen).toBe(0);
    expect(plain.screen).not.toContain('\x1b[');
    expect(plain.screen).toContain('  "success": true');
  });
});
