'use strict';
// Loads a native addon (.node) that the build embedded as a SEA asset.
//
// Inside the single executable there is no node_modules to require a .node file from, so
// scripts/binary/build.mjs redirects the native require of better-sqlite3 and @node-rs/argon2
// here. The addon's bytes are written to a private directory (mkdtemp: mode 0700, random name),
// loaded with process.dlopen, and the file and directory are removed again at once: the loaded
// library stays mapped, so nothing is left on disk and nothing is read from beside the binary.
//
// ACCT_NATIVE_DIR names the parent directory to use instead of the OS temp dir (e.g. when /tmp
// is mounted noexec, which makes dlopen fail).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const loaded = new Map();

function parents() {
  const list = [];
  if (process.env.ACCT_NATIVE_DIR) list.push(process.env.ACCT_NATIVE_DIR);
  list.push(os.tmpdir());
  if (process.env.XDG_RUNTIME_DIR) list.push(process.env.XDG_RUNTIME_DIR);
  return [...new Set(list)];
}

function dlopenFrom(parent, name, bytes) {
  const dir = fs.mkdtempSync(path.join(parent, 'acct-native-'));
  const file = path.join(dir, name);
  try {
    fs.writeFileSync(file, bytes, { mode: 0o500, flag: 'wx' });
    const mod = { exports: {} };
    process.dlopen(mod, file, os.constants.dlopen.RTLD_NOW);
    return mod.exports;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The exports of the embedded addon `name` (an asset key such as "better_sqlite3.node"). */
exports.load = function load(name) {
  const cached = loaded.get(name);
  if (cached) return cached;
  const sea = require('node:sea');
  if (!sea.isSea()) throw new Error(`acct: the native addon ${name} is only embedded in the single executable`);
  const bytes = new Uint8Array(sea.getRawAsset(name));
  const errors = [];
  for (const parent of parents()) {
    try {
      const addon = dlopenFrom(parent, name, bytes);
      loaded.set(name, addon);
      return addon;
    } catch (err) {
      errors.push(`${parent}: ${err && err.message ? err.message : String(err)}`);
    }
  }
  throw new Error(`acct: could not load the embedded native addon ${name} (set ACCT_NATIVE_DIR to a writable directory that allows executables):\n  ${errors.join('\n  ')}`);
};
