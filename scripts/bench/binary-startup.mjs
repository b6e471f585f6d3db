// Start-up time of the single executable (dist/acct-server) next to `node packages/server/dist/bundle/main.js`:
// wall time from spawning the process to its `listening on http://HOST:PORT` line, each run with
// a fresh, empty ACCT_DATA_DIR (so every start creates the SQLite file and applies the migrations)
// and the process's working directory an empty temp dir. The two are interleaved, after one
// discarded warm-up start each (page cache), and the median of `runs` is reported.
//
//   node scripts/bench/binary-startup.mjs [--runs N]      prints a Markdown table
//   import { measureBinaryStartup } from './binary-startup.mjs'  (scripts/bench/run.mjs)
//
// A missing dist/acct-server is built first with scripts/build-binary (pass build: false to skip).
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BINARY = path.join(ROOT, 'dist/acct-server');
const SERVER_MAIN = path.join(ROOT, 'packages/server/dist/bundle/main.js');

/** Spawns `command args`, resolves with ms until `listening on`, then stops it (SIGTERM). */
async function timeToListening(command, args, timeoutMs) {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'acct-startup-'));
  const dataDir = path.join(scratch, 'data');
  const env = { PATH: process.env.PATH ?? '', HOME: scratch, PORT: '0', HOST: '127.0.0.1', ACCT_DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
  const started = process.hrtime.bigint();
  const child = spawn(command, args, { cwd: scratch, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${command} did not print "listening on" within ${timeoutMs} ms:\n${out}`)), timeoutMs);
      child.stdout.on('data', (d) => {
        out += d.toString();
        if (/listening on http:\/\/\S+\n/.test(out)) {
          clearTimeout(timer);
          resolve(Number(process.hrtime.bigint() - started) / 1e6);
        }
      });
      child.stderr.on('data', (d) => (out += d.toString()));
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${command} exited (${code ?? signal}) before listening:\n${out}`));
      });
      child.once('error', reject);
    });
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

/**
 * Measures both start-ups. Returns
 * { runs, binary: { path, sizeBytes, medianMs, samplesMs }, node: { medianMs, samplesMs }, rows, markdown }.
 */
export async function measureBinaryStartup({ runs = 5, binary = BINARY, build = true, timeoutMs = 30_000 } = {}) {
  if (!fs.existsSync(binary)) {
    if (!build || binary !== BINARY) throw new Error(`${binary} does not exist (scripts/build-binary makes it)`);
    execFileSync(path.join(ROOT, 'scripts/build-binary'), [], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  const candidates = [
    { key: 'binary', label: 'dist/acct-server (SEA)', command: binary, args: [] },
    { key: 'node', label: 'node packages/server/dist/bundle/main.js', command: process.execPath, args: [SERVER_MAIN] },
  ];
  for (const c of candidates) await timeToListening(c.command, c.args, timeoutMs); // warm-up, discarded
  const samples = { binary: [], node: [] };
  for (let i = 0; i < runs; i++) {
    for (const c of candidates) samples[c.key].push(await timeToListening(c.command, c.args, timeoutMs));
  }
  const sizeBytes = fs.statSync(binary).size;
  const result = {
    runs,
    binary: { path: binary, sizeBytes, medianMs: median(samples.binary), samplesMs: samples.binary },
    node: { medianMs: median(samples.node), samplesMs: samples.node },
  };
  const fmt = (ms) => `${ms.toFixed(0)} ms`;
  result.rows = [
    { what: candidates[0].label, size: `${(sizeBytes / 2 ** 20).toFixed(1)} MiB`, median: fmt(result.binary.medianMs), samples: samples.binary.map(fmt).join(', ') },
    { what: candidates[1].label, size: '(needs node_modules)', median: fmt(result.node.medianMs), samples: samples.node.map(fmt).join(', ') },
  ];
  result.markdown = [
    `Start-up, exec to \`listening on\` (fresh data dir, median of ${runs}, Node ${process.version}):`,
    '',
    '| server | size | median | runs |',
    '|---|---|---|---|',
    ...result.rows.map((r) => `| ${r.what} | ${r.size} | ${r.median} | ${r.samples} |`),
  ].join('\n');
  return result;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const i = process.argv.indexOf('--runs');
  const runs = i > 0 ? Number(process.argv[i + 1]) : 5;
  measureBinaryStartup({ runs }).then(
    (r) => console.log(r.markdown),
    (err) => {
      console.error(`binary-startup: ${err.message}`);
      process.exit(1);
    },
  );
}
