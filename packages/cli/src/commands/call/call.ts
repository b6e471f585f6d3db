import fs from 'node:fs';
import type { Context } from '../../context.js';
import { UsageError } from '../../lib/errors.js';
import { buildFields, toQuery } from '../../lib/fields.js';
import { apiErrorFrom, type EnvelopeLike, type HttpRequest, type HttpResponse } from '../../lib/http.js';
import { formatJson } from '../../lib/output.js';
import { followPages } from '../../lib/paginate.js';

export interface CallOptions {
  method?: string;
  path?: string;
  /** `-d`: JSON text, `@file`, or `-` for stdin. */
  data?: string;
  /** `--input FILE` (`-` for stdin): the body, as `gh api --input`; fields then go to the query string. */
  input?: string;
  /** `-f k=v`: strings. */
  rawFields: string[];
  /** `-F k=v`: typed. */
  fields: string[];
  /** `-H 'Name: value'`. */
  headers: string[];
  include: boolean;
  paginate: boolean;
}

/** Parses `-H 'Name: value'` flags. */
export function parseHeaders(flags: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of flags) {
    const at = h.indexOf(':');
    if (at <= 0) throw new UsageError(`-H ${h}: expected 'Name: value'`);
    out[h.slice(0, at).trim().toLowerCase()] = h.slice(at + 1).trim();
  }
  return out;
}

function readFile(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
  }
}

async function readBody(ctx: Context, data: string): Promise<string> {
  if (data === '-') return ctx.io.readStdin();
  if (data.startsWith('@')) {
    const file = data.slice(1);
    if (file === '-') return ctx.io.readStdin();
    return readFile(file);
  }
  return data;
}

/** Turns the options into the request to send (method inference as CLI.md says). */
export async function buildRequest(ctx: Context, opts: CallOptions): Promise<HttpRequest> {
  if (!opts.path) throw new UsageError('a path is required, e.g. acct call /api/user/me');
  if (opts.method !== undefined && !/^[A-Za-z]+$/.test(opts.method)) throw new UsageError(`invalid method: ${opts.method}`);
  const hasFields = opts.rawFields.length + opts.fields.length > 0;
  if (opts.data !== undefined && hasFields) throw new UsageError('use either -d or -f/-F fields, not both');
  if (opts.input !== undefined && opts.data !== undefined) throw new UsageError('use either -d or --input, not both');
  const method = (opts.method ?? (opts.data !== undefined || opts.input !== undefined || hasFields ? 'POST' : 'GET')).toUpperCase();
  const headers = parseHeaders(opts.headers);
  const req: HttpRequest = { method, path: opts.path, headers };
  if (opts.input !== undefined) {
    if (opts.input === '') throw new UsageError('--input needs a file name, or - for stdin');
    req.body = opts.input === '-' ? await ctx.io.readStdin() : readFile(opts.input);
    headers['content-type'] ??= 'application/json';
    // As `gh api --input`: the file is the body, so fields become the query string.
    if (hasFields) req.query = toQuery(await buildFields(opts.rawFields, opts.fields, () => ctx.io.readStdin()));
  } else if (opts.data !== undefined) {
    req.body = await readBody(ctx, opts.data);
    headers['content-type'] ??= 'application/json';
  } else if (hasFields) {
    const fields = await buildFields(opts.rawFields, opts.fields, () => ctx.io.readStdin());
    // As `gh api`: fields of a GET (or HEAD) go to the query string, others are a JSON body.
    if (method === 'GET' || method === 'HEAD') req.query = toQuery(fields);
    else req.json = fields;
  }
  if (opts.paginate && method !== 'GET') throw new UsageError('--paginate works only with GET');
  return req;
}

function printHead(ctx: Context, res: HttpResponse): void {
  let text = `HTTP/1.1 ${res.status} ${res.statusText}\n`;
  for (const [name, value] of Object.entries(res.headers)) for (const v of Array.isArray(value) ? value : [value]) text += `${name}: ${v}\n`;
  ctx.io.out(`${text}\n`);
}

function printBody(ctx: Context, res: HttpResponse, value?: unknown): void {
  const parsed = value ?? res.json();
  if (ctx.io.stdoutIsTTY && parsed !== undefined) ctx.io.out(`${formatJson(parsed, ctx.io.color)}\n`);
  else if (value !== undefined) ctx.io.out(`${JSON.stringify(value)}\n`);
  else if (res.text) ctx.io.out(res.text.endsWith('\n') || !ctx.io.stdoutIsTTY ? res.text : `${res.text}\n`);
}

/** `acct call`: any request; the body on stdout (pretty on a TTY, raw otherwise); exit code from the status. */
export async function run(ctx: Context, opts: CallOptions): Promise<number> {
  const req = await buildRequest(ctx, opts);
  if (!opts.paginate) {
    const res = await ctx.http.request(req);
    if (opts.include) printHead(ctx, res);
    printBody(ctx, res);
    if (res.status < 200 || res.status >= 300) throw apiErrorFrom(res);
    return 0;
  }

  // --paginate: one envelope whose data holds every page's items, meta from the last page.
  const pages: HttpResponse[] = [];
  const last = await followPages(ctx.http, req, (res) => {
    pages.push(res);
    if (opts.include) printHead(ctx, res);
  });
  const envelopes = pages.map((p) => p.json() as EnvelopeLike<unknown> | undefined);
  if (envelopes.length > 0 && envelopes.every((e) => e && Array.isArray(e.data))) {
    const merged = { ...envelopes[0]!, data: envelopes.flatMap((e) => e!.data as unknown[]), meta: envelopes[envelopes.length - 1]!.meta };
    printBody(ctx, pages[0]!, merged);
  } else {
    for (const page of pages) printBody(ctx, page);
  }
  if (last.status < 200 || last.status >= 300) {
    if (opts.include) printHead(ctx, last);
    printBody(ctx, last);
    throw apiErrorFrom(last);
  }
  return 0;
}
