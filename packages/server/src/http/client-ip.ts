import type { Request } from 'express';

const IP = Symbol('clientIp');

/**
 * The client's address as `trust proxy` decides, computed once per request: Express recomputes
 * `req.ip` (parsing X-Forwarded-For and validating addresses) on every read.
 */
export function requestIp(req: Request): string | null {
  const r = req as Request & { [IP]?: string | null };
  // Without a trusted proxy the answer is the socket's peer: skip Express's header parsing.
  if (r[IP] === undefined) r[IP] = (req.app.get('trust proxy') ? req.ip : req.socket.remoteAddress) ?? null;
  return r[IP];
}
