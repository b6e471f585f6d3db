import type { IO } from './io.js';

const ESC = '\x1b[';
const paint = (code: string) => (text: string) => `${ESC}${code}m${text}${ESC}0m`;
const blue = paint('1;34');
const green = paint('32');
const cyan = paint('36');
const dim = paint('2');

/** Indented JSON, coloured like `gh api` when colour is on. */
export function formatJson(value: unknown, color: boolean): string {
  const text = JSON.stringify(value, null, 2) ?? 'null';
  if (!color) return text;
  return text.replace(/("(?:[^"\\]|\\.)*")(\s*:)?|\b(true|false|null)\b|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g, (match, str: string | undefined, colon: string | undefined, lit: string | undefined, num: string | undefined) => {
    if (str !== undefined) return colon ? `${blue(str)}${colon}` : green(str);
    if (lit !== undefined) return cyan(lit);
    if (num !== undefined) return cyan(num);
    return match;
  });
}

/** `--json` output: the data, indented, on stdout. */
export function printJson(io: IO, value: unknown): void {
  io.out(`${formatJson(value, io.color)}\n`);
}

/** Aligned columns on a terminal; tab-separated lines for scripts (as gh does). */
export function printTable(io: IO, headers: string[], rows: string[][]): void {
  if (!io.stdoutIsTTY) {
    for (const row of rows) io.out(`${row.join('\t')}\n`);
    return;
  }
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  io.out(`${io.color ? dim(line(headers)) : line(headers)}\n`);
  for (const row of rows) io.out(`${line(row)}\n`);
}

/** `2026-05-05T10:00:00.000Z` → `2026-05-05 10:00 UTC`; null → the fallback. */
export function formatDate(iso: string | null | undefined, fallback = '-'): string {
  if (!iso) return fallback;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
