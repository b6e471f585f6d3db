// Writes an esbuild result (`write: false`) into its output folder the way a running program can
// bear: the server's and the CLI's bundles are rebuilt while tests and the benchmark run them from
// dist/bundle. Files whose content is unchanged are left alone, changed ones replaced by a rename
// (never a half-written file), and only files the new build no longer has are removed.
import fs from 'node:fs';
import path from 'node:path';

/** @param {{ path: string, contents: Uint8Array }[]} outputFiles @param {string} outdir */
export function writeBundle(outputFiles, outdir) {
  const written = new Set();
  for (const file of outputFiles) {
    written.add(file.path);
    let same = false;
    try {
      same = Buffer.compare(fs.readFileSync(file.path), file.contents) === 0;
    } catch {
      // new file
    }
    if (same) continue;
    fs.mkdirSync(path.dirname(file.path), { recursive: true });
    const tmp = `${file.path}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, file.contents);
    fs.renameSync(tmp, file.path);
  }
  for (const entry of fs.existsSync(outdir) ? fs.readdirSync(outdir, { recursive: true, withFileTypes: true }) : []) {
    const full = path.join(entry.parentPath, entry.name);
    if (entry.isFile() && !written.has(full)) fs.rmSync(full);
  }
}
