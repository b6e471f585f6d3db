import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { requestIp } from '../http/client-ip.js';

const SAFE = new Set(['GET', 'HEAD']);

/**
 * One JSON line per request when it finishes: request id, method, path (never the query,
 * which can carry a mailed token), status, duration, client IP and the credential that acted
 * (`res.locals.actor`, set by authentication). Writes and failures log at `info`; successful
 * reads at `debug`, so the hottest path costs a level check.
 */
export function accessLog(logger: Logger): RequestHandler {
  return function accessLogMiddleware(req, res, next) {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const level = SAFE.has(req.method) && res.statusCode < 400 ? 'debug' : 'info';
      if (!logger.isLevelEnabled(level)) return;
      logger[level](
        {
          requestId: res.locals['requestId'],
          method: req.method,
          path: req.path,
          status: res.statusCode,
          ms: Number(process.hrtime.bigint() - started) / 1e6,
          ip: requestIp(req),
          actor: res.locals['actor'] ?? null,
        },
        'request',
      );
    });
    next();
  };
}
