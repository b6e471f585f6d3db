import type { Request, Response } from 'express';
import type { Pagination } from '@acct/shared';
import type { AppDeps } from '../../deps.js';
import type { HttpError } from '../http-error.js';

/** What a handler answered, before it is written in a route's format. */
export interface Rendered {
  status: number;
  message: string;
  data: unknown;
  pagination?: Pagination;
}

/**
 * How a route writes its answers and its errors: the envelope (the API), RFC 6749 error JSON
 * (OAuth endpoints), JSON-RPC (MCP) or HTML (pages). `bind()` takes one per route; errors thrown
 * anywhere after the route was found are written by that route's renderer too (errors.ts reads
 * it from `res.locals`), so an OAuth endpoint never answers in the envelope.
 */
export interface Renderer {
  readonly name: string;
  success(req: Request, res: Response, reply: Rendered, deps: AppDeps): void;
  error(req: Request, res: Response, err: HttpError): void;
}

const RENDERER = 'renderer';

/** Remembers the route's renderer for the error middleware. */
export function useRenderer(res: Response, renderer: Renderer): void {
  res.locals[RENDERER] = renderer;
}

/** The renderer of the route that is answering, if one was found. */
export function rendererOf(res: Response): Renderer | undefined {
  return res.locals[RENDERER] as Renderer | undefined;
}

/** Sets an error's own headers (Retry-After, WWW-Authenticate, X-Accepted-Scopes, …). */
export function setErrorHeaders(res: Response, err: HttpError): void {
  if (err.headers) for (const name in err.headers) res.setHeader(name, err.headers[name]!);
}

/** Writes a JSON body with its length; Express's res.json() would re-derive what we know. */
export function sendJson(res: Response, status: number, body: unknown, contentType = 'application/json; charset=utf-8'): void {
  const json = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', Buffer.byteLength(json));
  res.end(json);
}
