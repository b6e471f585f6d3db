import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { requestIp } from './client-ip.js';
import { actorOf, type Principal } from '../auth/principal.js';

const SAFE = new Set(['GET', 'HEAD']);
/** `res.locals` flag of a POST that only reads (token introspection): logged as a read. */
export const READ_ONLY = 'readOnly';
const STARTED = Symbol('startedAt');

/** Notes when the request arrived, for the duration in its log line. */
export function markStart(res: Response): void {
  (res as Response & { [STARTED]?: bigint })[STARTED] = process.hrtime.bigint();
}

/**
 * One JSON line for an answered request: request id, method, path (never the query, which can
 * carry a mailed token), status, duration, client IP and the credential that acted
 * (`res.locals.actor` where a handler names it, else the principal's credential). Writes and failures log at `info`; successful
 * reads at `debug`, so the hottest path costs a level check and no closure or listener.
 */
export function logRequest(logger: Logger, req: Request, res: Response): void {
  const level = (SAFE.has(req.method) || res.locals[READ_ONLY] === true) && res.statusCode < 400 ? 'debug' : 'info';
  if (!logger.isLevelEnabled(level)) return;
  const started = (res as Response & { [STARTED]?: bigint })[STARTED];
  logger[level](
    {
      requestId: res.locals['requestId'],
      method: req.method,
      path: req.path,
      status: res.statusCode,
      ms: started === undefined ? null : Number(process.hrtime.bigint() - started) / 1e6,
      ip: requestIp(req),
      actor: res.locals['actor'] ?? actorOfLocals(res.locals['principal'] as Principal | undefined),
    },
    'request',
  );
}

function actorOfLocals(principal: Principal | undefined): Record<string, string> | null {
  return principal ? actorOf(principal) : null;
}
