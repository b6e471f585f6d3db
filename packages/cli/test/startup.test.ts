// test-dialects: sqlite — the CLI (its flags, output, keychain, exit codes); the server API it calls is covered on PostgreSQL by the server suites
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, tempHome } from './helpers.js';

const bundleEntry = pathToFileURL(path.join(path.dirname(BIN), 'bundle/cli.js')).href;

// Records every module the CLI resolves (Node's synchronous module hooks), and at exit Node's
// own list of the built-in modules it loaded, to prove that the fast paths never load the heavy ones.
const HOOK = `
import { registerHooks } from 'node:module';
// Not \`import … from 'node:fs'\`: that runs fs's lazy getters, which load fs streams and readline.
const { appendFileSync } = process.getBuiltinModule('node:fs');
registerHooks({
  resolve(specifier, context, next) {
    const result = next(specifier, context);
    appendFileSync(process.env.ACCT_TEST_MODULE_LOG, result.url + '\\n');
    return result;
  },
});
process.on('exit', () => appendFileSync(process.env.ACCT_TEST_MODULE_LOG, process.moduleLoadList.map((m) => 'builtin:' + m + '\\n').join('')));
`;

let server: http.Server;
let base = '';
beforeAll(async () => {
  server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"success":true,"data":{}}'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function loadedModules(args: string[], env: Record<string, string>): Promise<{ code: number | null; modules: string[] }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acct-startup-'));
  const hook = path.join(dir, 'hook.mjs');
  const log = path.join(dir, 'modules.log');
  fs.writeFileSync(hook, HOOK);
  fs.writeFileSync(log, '');
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', hook, BIN, ...args], { env: { ...env, ACCT_TEST_MODULE_LOG: log }, stdio: 'ignore' });
    child.on('close', (code) => resolve({ code, modules: fs.readFileSync(log, 'utf8').split('\n').filter(Boolean) }));
  });
}

// Packages resolve to their real paths: node_modules/.pnpm/…/node_modules/<name>/, or packages/shared/ for the workspace one.
const heavy = (modules: string[], names: string[]) =>
  modules.filter((m) => names.some((n) => m.includes(`/node_modules/${n}/`) || (n === '@acct/shared' && m.includes('/packages/shared/'))));

describe('cold start', () => {
  it('--version loads the bundle only: no undici, tough-cookie, keyring, prompts or shared contracts', async () => {
    const { code, modules } = await loadedModules(['--version'], tempHome().env);
    expect(code).toBe(0);
    const files = modules.filter((m) => m.startsWith('file:'));
    expect(files.slice(0, 2)).toEqual([pathToFileURL(BIN).href, bundleEntry]);
    // The rest are chunks the entry shares with commands; no command's own chunk, no package.
    expect(files.filter((m) => !m.startsWith(bundleEntry.replace(/cli\.js$/, 'chunks/chunk-')))).toEqual([pathToFileURL(BIN).href, bundleEntry]);
    expect(heavy(modules, ['undici', 'tough-cookie', '@napi-rs/keyring', '@inquirer/prompts', '@acct/shared', '@sinclair/typebox'])).toEqual([]);
  });

  it('acct call with ACCT_TOKEN skips the cookie jar, the keychain, prompts, the shared contracts and the undici package', async () => {
    const { code, modules } = await loadedModules(['call', '/api/user/me'], tempHome({ ACCT_HOST: base, ACCT_TOKEN: 'x' }).env);
    expect(code).toBe(0);
    expect(modules.some((m) => m.includes('/cli/dist/bundle/chunks/call-'))).toBe(true);
    expect(heavy(modules, ['undici', 'tough-cookie', '@napi-rs/keyring', '@inquirer/prompts', '@acct/shared', '@sinclair/typebox', 'jq-web'])).toEqual([]);
  });

  it("acct call loads the call command's spec and no other command's (issue 13: specs beside their commands)", async () => {
    const { code, modules } = await loadedModules(['call', '/api/user/me'], tempHome({ ACCT_HOST: base, ACCT_TOKEN: 'x' }).env);
    expect(code).toBe(0);
    const files = modules.filter((m) => m.startsWith('file:')).map((m) => fileURLToPath(m));
    const text = files.map((f) => fs.readFileSync(f, 'utf8')).join('\n');
    // Help texts of call, and of three other commands: only call's is read.
    expect(text).toContain('make any API request, like `gh api`');
    for (const other of ['mint a personal access token (shown once)', 'create an organization (you become its owner)', 'print a shell completion script']) expect(text).not.toContain(other);
    expect(files.filter((f) => /\/chunks\/spec-[^/]*\.js$/.test(f))).toHaveLength(1);
  });

  it('acct call leaves stdin alone: with stdin from /dev/null no fs.ReadStream, fs/promises or readline loads', async () => {
    const { code, modules } = await loadedModules(['call', '/api/user/me'], tempHome({ ACCT_HOST: base, ACCT_TOKEN: 'x' }).env);
    expect(code).toBe(0);
    expect(modules.filter((m) => /^builtin:NativeModule internal\/(fs\/streams|fs\/promises|readline\/)/.test(m))).toEqual([]);
  });

  it("--version and call read no built-in's lazy export they do not use (util.parseArgs, util.diff, fs.Dir: worker_threads, parse_args, diff)", async () => {
    for (const args of [['--version'], ['call', '/api/user/me']]) {
      const { code, modules } = await loadedModules(args, tempHome({ ACCT_HOST: base, ACCT_TOKEN: 'x' }).env);
      expect(code).toBe(0);
      expect(modules.filter((m) => /^builtin:NativeModule (worker_threads|internal\/util\/parse_args\/parse_args|internal\/util\/diff|internal\/fs\/dir|internal\/util\/trace_sigint)$/.test(m))).toEqual([]);
    }
  });

  it("acct call to an http host speaks HTTP/1.1 over node:net: neither node:http nor Node's bundled undici (fetch) loads", async () => {
    const { code, modules } = await loadedModules(['call', '/api/user/me'], tempHome({ ACCT_HOST: base, ACCT_TOKEN: 'x' }).env);
    expect(code).toBe(0);
    expect(modules).toContain('builtin:NativeModule net');
    expect(modules.filter((m) => /^builtin:NativeModule (http|_http_\w+|internal\/deps\/undici\/.*)$/.test(m))).toEqual([]);
  });

  it('the built acct runs from the esbuild bundle, not from the per-file tsc output', async () => {
    const { code, modules } = await loadedModules(['call', '/api/user/me', '--jq', '.data'], tempHome({ ACCT_HOST: base, ACCT_TOKEN: 'x' }).env);
    expect(code).toBe(0);
    expect(modules).toContain(bundleEntry);
    expect(modules.filter((m) => m.startsWith('file:') && m.includes('/cli/dist/') && !m.includes('/cli/dist/bundle/') && m !== pathToFileURL(BIN).href)).toEqual([]);
    // --jq loads jq-web, and only then.
    expect(heavy(modules, ['jq-web'])).not.toEqual([]);
  });

  it('(control) a signed-out run does load the cookie jar, so the checks above can fail', async () => {
    const { modules } = await loadedModules(['call', '/api/user/me'], tempHome({ ACCT_HOST: base }).env);
    expect(heavy(modules, ['tough-cookie'])).not.toEqual([]);
  });
});
