import { CliError, UsageError } from './errors.js';
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

/** A copy of `io` whose stdout goes to a buffer (read back with `text()`), for --jq and --json FIELDS. */
export function captureStdout(io: IO): { io: IO; text(): string } {
  let buffer = '';
  return {
    io: { ...io, out: (text) => void (buffer += text), stdoutIsTTY: false, color: false },
    text: () => buffer,
  };
}

export interface OutputFilter {
  /** `--json a,b`: keep only these fields of the object, or of each object of the list. */
  fields?: string[] | undefined;
  /** `--jq EXPR`. */
  jq?: string | undefined;
}

/** Keeps only `fields` of an object, or of every object in a list (gh's `--json a,b`). */
export function selectFields(value: unknown, fields: string[]): unknown {
  const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  const objects = Array.isArray(value) ? value.filter(isObject) : isObject(value) ? [value] : [];
  if (objects.length === 0 && !Array.isArray(value)) throw new UsageError('--json FIELDS needs an object or a list of objects, and this command prints neither');
  const available = new Set(objects.flatMap((o) => Object.keys(o)));
  const unknown = fields.filter((f) => !available.has(f));
  if (objects.length > 0 && unknown.length > 0)
    throw new UsageError(`unknown JSON field${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`, `available fields: ${[...available].join(', ')}`);
  const pick = (o: unknown) => (isObject(o) ? Object.fromEntries(fields.filter((f) => f in o).map((f) => [f, o[f]])) : o);
  return Array.isArray(value) ? value.map(pick) : pick(value);
}

/** jq-web: jq compiled to WebAssembly; `raw` is `echo JSON | jq FLAGS FILTER`, throwing with `exitCode` and `stderr`. */
interface JqWeb {
  raw(json: string, filter: string, flags?: string[]): string | undefined;
}

/**
 * Runs a jq expression over JSON text with jq itself (jq 1.7, compiled to WebAssembly: the
 * jq-web package), loaded only now so that commands without --jq never pay for it. Strings
 * print raw, as `gh --jq` does; other values as JSON, indented and coloured on a terminal.
 */
export async function runJq(io: IO, json: string, expression: string): Promise<string> {
  // jq-web is CommonJS whose exports are a promise; require() hands it over as it is.
  const { createRequire } = await import('node:module');
  const jq = await (createRequire(import.meta.url)('jq-web') as Promise<JqWeb>);
  const flags = ['-r', ...(io.stdoutIsTTY ? [] : ['-c']), io.color ? '-C' : '-M'];
  try {
    return jq.raw(json, expression, flags) ?? '';
  } catch (err) {
    const e = err as { exitCode?: number; stderr?: string; message?: string };
    const detail = (e.stderr ?? e.message ?? String(err)).replace(/^Non-zero exit code: \d+\n?/, '').trim();
    // jq's exit code 3 is a compile error: the expression itself is wrong.
    if (e.exitCode === 3) throw new UsageError(`--jq: ${detail.replace(/^jq: /, '')}`);
    throw new CliError(`--jq: ${detail.replace(/^jq: /, '')}`);
  }
}

/** Prints a command's JSON output through `--json FIELDS` and then `--jq`. */
export async function printFiltered(io: IO, text: string, filter: OutputFilter): Promise<void> {
  if (text.trim() === '') return;
  let json = text;
  if (filter.fields) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new UsageError('--json FIELDS needs JSON output, and this command printed something else');
    }
    const selected = selectFields(value, filter.fields);
    if (filter.jq === undefined) {
      printJson(io, selected);
      return;
    }
    json = JSON.stringify(selected);
  }
  if (filter.jq === undefined) {
    io.out(text);
    return;
  }
  const out = await runJq(io, json, filter.jq);
  if (out !== '') io.out(out.endsWith('\n') ? out : `${out}\n`);
}
