// The Node/V8 flags the server runs with, from packages/server/node-flags (one per line, `#`
// comments): read by the benchmark, the single-binary build and the test harness. scripts/server
// reads the same file in bash.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const NODE_FLAGS_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../packages/server/node-flags');

/** @returns {string[]} */
export function serverNodeFlags() {
  return fs.readFileSync(NODE_FLAGS_FILE, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
}
