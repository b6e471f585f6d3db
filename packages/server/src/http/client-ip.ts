import type { Request } from 'express';

const IP = Symbol('clientIp');

/**
 * The client's address as `trust proxy` decides, computed once per request: Express recomputes
 * `req.ip` (parsing X-Forwarded-For and validating addresses) on every read.
 */
export function requestIp(req: Request): string | null {
  const r = req as Request & { [IP]?: string | null };
  if (r[IP] === undefined) r[IP] = req.ip ?? null;
  return r[IP];
}
