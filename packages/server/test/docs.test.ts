// test-dialects: sqlite — runs the documentation examples; the API they call is covered on PostgreSQL by the route and feature suites
// Every example in README.md and docs/*.md is a test: the fenced `sh` blocks of a page run top to
// bottom in one bash session (variables carry over) inside a real terminal, so the CLI's prompts
// are answered as a person would answer them; each `js` block runs as an ES module with Node and
// each `python` block with python3, each against a fresh server. `http://127.0.0.1:3000` in an
// example stands for the server under test. A block that cannot run here (it starts a server,
// needs systemd, builds the binary another test builds) says so in its info string:
// ```sh not-run: <reason>. Blocks of other languages (json, ini, text) are data, not commands.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../../cli/test/helpers.js';
import { ROOT, startServer, type RunningServer } from './harness.js';

const EXAMPLE_HOST = 'http://127.0.0.1:3000';
/** The examples' servers: docs/webhooks.md points webhooks at receivers on 127.0.0.1. */
const EXAMPLE_SERVER_ENV = { ACCT_WEBHOOKS_ALLOW_PRIVATE: 'true', ACCT_WEBHOOK_POLL_MS: '100' };
const NOT_DOCS = new Set(['HELPERS.md', 'bench-results.md']);

export interface Block {
  file: string;
  line: number;
  lang: string;
  info: string;
  code: string;
}

/** The fenced blocks of a markdown file, with the line each starts on. */
export function fencedBlocks(file: string, text: string): Block[] {
  const blocks: Block[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]!); i++) body.push(lines[i]!);
    blocks.push({ file, line: start + 1, lang: open[1]!, info: open[2]!, code: body.join('\n') });
  }
  return blocks;
}

const pages = ['README.md', ...fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md') && !NOT_DOCS.has(f)).sort().map((f) => `docs/${f}`)];
const blocksOf = (page: string) => fencedBlocks(page, fs.readFileSync(path.join(ROOT, page), 'utf8'));
const isShell = (b: Block) => b.lang === 'sh' || b.lang === 'bash';
const runs = (b: Block) => (isShell(b) || b.lang === 'js' || b.lang === 'python') && !b.info.startsWith('not-run');

// A terminal for the page's script: python3's pty module, answering each prompt the CLI shows.
const DRIVER = `
import json, os, pty, re, select, sys, time
argv, rules = json.loads(sys.argv[1]), json.loads(sys.argv[2])
pid, fd = pty.fork()
if pid == 0:
    os.execv(argv[0], argv)
out = b''
# A prompt waits with "? Label:" as the last marker on the screen; once answered it turns into
# "✔ Label: …". Answer only when the screen is quiet, and only once per completed prompt, so the
# prompt's redraws of what is being typed are never taken for a new question.
ANSI = re.compile(r'\\x1b\\[[0-9;?]*[A-Za-z]')
answered_at = -1
status = None
deadline = time.time() + 200
while time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 0.15 if status is None else 0.05)
    if r:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            chunk = b''
        if chunk:
            out += chunk
            continue
    if status is not None:
        break
    done, st = os.waitpid(pid, os.WNOHANG)
    if done:
        # What the shell wrote between the last read and its exit is still in the terminal: read on.
        status = st
        continue
    if not r:
        text = ANSI.sub('', out.decode(errors='replace'))
        marks = text.count('\\u2714')
        question = text.rfind('? ')
        if marks > answered_at and question > text.rfind('\\u2714'):
            for pattern, answer in rules:
                if re.match(pattern, text[question:]):
                    for ch in answer:
                        os.write(fd, ch.encode())
                        time.sleep(0.003)
                    answered_at = marks
                    break
if status is None:
    os.kill(pid, 9)
    _, status = os.waitpid(pid, 0)
print(json.dumps({'code': os.waitstatus_to_exitcode(status), 'screen': out.decode(errors='replace')}))
`;

const PROMPTS: [string, string][] = [
  ['\\? Email:', 'cli@example.com\r'],
  ['\\? Name:', 'Your Name\r'],
  ['\\? Password[^\\n]*:', 'a-long-secure-passphrase\r'],
];

interface Ran {
  code: number;
  output: string;
}

function runProcess(command: string, args: string[], env: Record<string, string>, cwd: string): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 250_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, output });
    });
  });
}

/** A scratch directory laid out like a checkout's root (for `$PWD/scripts/acct`) with `acct` on PATH. */
function workspace(url: string): { cwd: string; env: Record<string, string> } {
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'acct-docs-'));
  const home = path.join(cwd, 'home');
  const bin = path.join(cwd, 'bin');
  fs.mkdirSync(home);
  fs.mkdirSync(bin);
  fs.symlinkSync(path.join(ROOT, 'scripts'), path.join(cwd, 'scripts'));
  fs.writeFileSync(path.join(bin, 'acct'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`, { mode: 0o755 });
  const env: Record<string, string> = {
    PATH: `${path.join(home, '.local/bin')}:${bin}:${path.dirname(process.execPath)}:${process.env['PATH'] ?? ''}`,
    HOME: home,
    ACCT_HOST: url,
    NO_COLOR: '1',
    TERM: 'xterm',
    LANG: 'C.UTF-8',
  };
  if (process.env['DBUS_SESSION_BUS_ADDRESS']) env['DBUS_SESSION_BUS_ADDRESS'] = process.env['DBUS_SESSION_BUS_ADDRESS'];
  return { cwd, env };
}

const withHost = (code: string, url: string) => code.split(EXAMPLE_HOST).join(url);

async function runShellBlocks(blocks: Block[], url: string): Promise<Ran & { last: string }> {
  const { cwd, env } = workspace(url);
  const script = ['set -euo pipefail', `cd '${cwd}'`];
  for (const b of blocks) script.push(`printf '\\n::docs-block ${b.file}:${b.line}::\\n'`, withHost(b.code, url));
  script.push(`printf '\\n::docs-done::\\n'`);
  const file = path.join(cwd, 'page.sh');
  fs.writeFileSync(file, script.join('\n') + '\n');
  const driver = path.join(cwd, 'driver.py');
  fs.writeFileSync(driver, DRIVER);
  const ran = await runProcess('python3', [driver, JSON.stringify(['/bin/bash', file]), JSON.stringify(PROMPTS)], env, cwd);
  const { code, screen } = JSON.parse(ran.output.trim().split('\n').pop() ?? '{}') as { code: number; screen: string };
  const markers = [...screen.matchAll(/::docs-block (\S+)::/g)];
  return { code, output: screen, last: markers.at(-1)?.[1] ?? '(before the first block)' };
}

async function runProgram(block: Block, url: string): Promise<Ran> {
  const { cwd, env } = workspace(url);
  if (block.lang === 'js') {
    // Resolve imports (tough-cookie) the way a project that installed them would.
    fs.symlinkSync(path.join(ROOT, 'packages/server/node_modules'), path.join(cwd, 'node_modules'));
    fs.writeFileSync(path.join(cwd, 'example.mjs'), withHost(block.code, url));
    return runProcess(process.execPath, ['example.mjs'], env, cwd);
  }
  fs.writeFileSync(path.join(cwd, 'example.py'), withHost(block.code, url));
  return runProcess('python3', ['example.py'], env, cwd);
}

describe('fenced blocks', () => {
  it('are found with their languages and lines', () => {
    const blocks = fencedBlocks('x.md', 'text\n```sh\necho 1\n```\n\n```sh not-run: needs systemd\nsystemctl start acct\n```\n```json\n{}\n```\n');
    expect(blocks.map((b) => [b.line, b.lang, b.info, b.code])).toEqual([
      [2, 'sh', '', 'echo 1'],
      [6, 'sh', 'not-run: needs systemd', 'systemctl start acct'],
      [9, 'json', '', '{}'],
    ]);
  });

  it('that are not run say why, and every page with examples runs some', () => {
    for (const page of pages) {
      for (const b of blocksOf(page).filter((x) => x.info.startsWith('not-run'))) {
        expect(b.info, `${b.file}:${b.line}`).toMatch(/^not-run: \S.{8,}/);
      }
    }
    expect(blocksOf('README.md').filter(runs).length).toBeGreaterThanOrEqual(4);
    expect(blocksOf('docs/cli.md').filter(runs).length).toBeGreaterThanOrEqual(4);
  });
});

for (const page of pages) {
  const blocks = blocksOf(page).filter(runs);
  if (blocks.length === 0) continue;
  describe(`examples of ${page}`, () => {
    let server: RunningServer;
    beforeAll(async () => {
      server = await startServer(EXAMPLE_SERVER_ENV);
    });
    afterAll(async () => {
      await server?.stop();
    });

    const shell = blocks.filter(isShell);
    if (shell.length > 0) {
      it(`run as shell commands, top to bottom (${shell.length} blocks)`, async () => {
        const ran = await runShellBlocks(shell, server.url);
        expect(ran.output, `the page's commands stopped in the block at ${ran.last} (exit ${ran.code}):\n${ran.output.slice(-4000)}`).toContain('::docs-done::');
        expect(ran.code).toBe(0);
      }, 240_000);
    }

    for (const b of blocks.filter((x) => !isShell(x))) {
      it(`${b.lang} example at line ${b.line} runs against a fresh server`, async () => {
        const own = await startServer(EXAMPLE_SERVER_ENV);
        try {
          const ran = await runProgram(b, own.url);
          expect(ran.code, `${b.file}:${b.line} exited ${ran.code}:\n${ran.output}`).toBe(0);
          expect(ran.output).toContain('you@example.com');
        } finally {
          await own.stop();
        }
      }, 120_000);
    }
  });
}
