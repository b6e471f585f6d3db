import { pino, type Logger } from 'pino';

/** JSON lines with UTC time; credentials are redacted wherever they would appear. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'acct' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ['req.headers.cookie', 'req.headers.authorization', 'req.headers["x-api-key"]', '*.password', '*.token', '*.key', '*.secret'],
      censor: '[redacted]',
    },
  });
}
