// test-dialects: sqlite — the CLI (its flags, output, keychain, exit codes); the server API it calls is covered on PostgreSQL by the server suites
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { email, PASSWORD, startServer, type RunningServer } from '../../server/test/harness.js';
import { acct, inTerminal, tempHome } from './helpers.js';

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

  it('keys create without --scope offers the server\'s scope checklist, nothing pre-checked; scripts still get exit 2', async () => {
    const home = tempHome({ ACCT_HOST: server.url });
    const address = email('checklist');
    expect((await acct(['signup', '--email', address, '--name', 'Checklist', '--password-stdin'], home.env, PASSWORD)).code).toBe(0);
    expect((await acct(['login', '--email', address, '--password-stdin'], home.env, PASSWORD)).code).toBe(0);
    const catalogue = JSON.parse((await acct(['call', '/api/auth/scopes'], home.env)).stdout).data as { name: string; description: string }[];

    // Space checks the first scope, enter submits: the key gets exactly that one.
    const r = await inTerminal(['keys', 'create', '--name', 'picked'], [['Scopes for the key', ' '], ['◉', '\r']], home.env);
    expect(r.code, r.screen).toBe(0);
    expect(r.screen).toContain(catalogue[1]!.description);
    expect(r.screen).toMatch(/ba_\w{50}/);
    const keys = JSON.parse((await acct(['keys', 'list', '--json'], home.env)).stdout) as { name: string; scopes: string[] }[];
    expect(keys.find((k) => k.name === 'picked')!.scopes).toEqual([catalogue[0]!.name]);

    const script = await acct(['keys', 'create', '--name', 'scripted'], home.env);
    expect(script.code).toBe(2);
    expect(script.stderr).toMatch(/at least one --scope is required/);
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
