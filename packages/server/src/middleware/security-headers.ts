import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import helmet, { type HelmetOptions } from 'helmet';

/**
 * The headers helmet would set, worked out once by running it against a recording response:
 * every request then gets the same list in one loop instead of a chain of middleware calls.
 * Helmet stays the source of truth for what the headers say.
 */
export function securityHeaders(options: HelmetOptions, extra: Record<string, string>): RequestHandler {
  const recorded: [string, string][] = [];
  const recorder = {
    setHeader(name: string, value: string) {
      recorded.push([name, String(value)]);
    },
    removeHeader() {},
    getHeader() {
      return undefined;
    },
  } as unknown as ServerResponse;
  helmet(options)({} as IncomingMessage, recorder, () => {});
  const headers = [...recorded, ...Object.entries(extra)];
  return function securityHeadersMiddleware(_req, res, next) {
    for (const [name, value] of headers) res.setHeader(name, value);
    next();
  };
}
