import express, { type RequestHandler } from 'express';
import { HttpError } from '../http/http-error.js';
import { OAUTH } from '../http/render/oauth.js';
import { useRenderer } from '../http/render/renderer.js';

const FORM_PARAMETER_LIMIT = 10;
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

type Req = Parameters<RequestHandler>[0];

function hasBody(req: Req): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

/** body-parser's error shape (middleware/errors.ts maps its `type`), for the same refusals. */
function bodyError(status: number, message: string, type: string): Error {
  return Object.assign(new Error(message), { status, statusCode: status, expose: true, type });
}

/**
 * The common urlencoded form (a Content-Length within the limit, no Content-Encoding, UTF-8) read
 * without body-parser: its stream machinery (raw-body, iconv, on-finished, type checks again)
 * cost ~11 µs of CPU per request against ~3 µs for this (scripts/bench/body-read.mjs), which
 * an introspection pays on every call. Everything else (chunked, compressed, other charsets, a
 * declared length over the limit) goes to body-parser, which knows how to refuse it politely.
 * Parsed as body-parser's `extended: false` does for the forms acct reads: at most
 * `parameterLimit` pairs (else 413 parameters.too.many), a repeated name becomes an array (OAuth
 * refuses those: RFC 6749 §3.1), no prototype: `__proto__` is a name like any other.
 */
export function readSmallForm(req: Req, limit: number, parameterLimit: number, next: (err?: unknown) => void): boolean {
  const length = Number(req.headers['content-length']);
  if (!(length >= 0 && length <= limit) || req.headers['transfer-encoding'] !== undefined) return false;
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') return false;
  const type = req.headers['content-type']!;
  const semicolon = type.indexOf(';');
  if (semicolon !== -1 && !/^\s*charset\s*=\s*"?utf-8"?\s*$/i.test(type.slice(semicolon + 1))) return false;
  let first: Buffer | null = null;
  let more: Buffer[] | null = null;
  let received = 0;
  let ended = false;
  const onData = (chunk: Buffer) => {
    received += chunk.length;
    if (first === null) first = chunk;
    else (more ??= [first]).push(chunk);
  };
  const onEnd = () => {
    ended = true;
    cleanup();
    if (received !== length) return next(bodyError(400, 'request size did not match content length', 'request.size.invalid'));
    const text = (more ? Buffer.concat(more) : (first ?? Buffer.alloc(0))).toString('utf8');
    const body: Record<string, string | string[]> = Object.create(null);
    if (text.length > 0) {
      let pairs = 1;
      for (let at = text.indexOf('&'); at !== -1; at = text.indexOf('&', at + 1)) {
        if (++pairs > parameterLimit) return next(bodyError(413, 'too many parameters', 'parameters.too.many'));
      }
      for (const [name, value] of new URLSearchParams(text)) {
        const seen = body[name];
        body[name] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
      }
    }
    req.body = body;
    next();
  };
  const onAbort = () => {
    if (ended) return;
    cleanup();
    next(bodyError(400, 'request aborted', 'request.aborted'));
  };
  const cleanup = () => {
    req.off('data', onData);
    req.off('end', onEnd);
    req.off('error', onAbort);
    req.off('close', onAbort);
  };
  req.on('data', onData);
  req.on('end', onEnd);
  req.on('error', onAbort);
  req.on('close', onAbort);
  return true;
}

/**
 * JSON bodies only (form and text/plain bodies are refused: CSRF "simple content types"),
 * up to `limit` bytes. `formPaths` may also take urlencoded forms: the mailed-link pages,
 * whose unguessable token in the body is their own CSRF protection.
 */
export function jsonBody(limit: number, formPaths: ReadonlySet<string>, intakeLimit: number): RequestHandler[] {
  const json = express.json({ limit, strict: true, type: () => true });
  // Intake webhooks carry other systems' payloads: any JSON value, with their own size limit.
  const intake = express.json({ limit: intakeLimit, strict: false, type: () => true });
  const form = express.urlencoded({ limit, extended: false, parameterLimit: FORM_PARAMETER_LIMIT });
  return [
    function requireJson(req, _res, next) {
      if (!UNSAFE.has(req.method) || !hasBody(req)) return next();
      // A protocol endpoint's body it cannot read is answered in OAuth's format (RFC 6749 §5.2), as its handler's errors are.
      if (req.path.startsWith('/oauth2/')) useRenderer(_res, OAUTH);
      const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (type === 'application/json' || type.endsWith('+json')) return (req.path.startsWith('/api/intake/') ? intake : json)(req, _res, next);
      if (type === 'application/x-www-form-urlencoded' && formPaths.has(req.path)) return readSmallForm(req, limit, FORM_PARAMETER_LIMIT, next) ? undefined : form(req, _res, next);
      next(new HttpError('BAD_REQUEST', 'Send the body as JSON with Content-Type: application/json'));
    },
  ];
}
