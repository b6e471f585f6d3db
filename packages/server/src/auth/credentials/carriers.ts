import type { Request } from 'express';
import type { Carrier } from '../principal.js';
import { readCookie, SECURE_SESSION_COOKIE, SESSION_COOKIE } from '../cookies.js';

/** The credential a request presents: an explicit header wins over the cookie. */
export function presentedCredential(req: Request): { carrier: Carrier; value: string } | null {
  // Node joins a repeated header of this name into one string (RFC 9110 §5.3), as req.get() did.
  const apiKey = req.headers['x-api-key'] as string | undefined;
  if (apiKey !== undefined) return { carrier: 'x-api-key', value: apiKey.trim() };
  const authorization = req.headers.authorization;
  if (authorization !== undefined) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    return { carrier: 'authorization', value: m?.[1] ?? '' };
  }
  if (!req.headers.cookie) return null;
  const cookie = readCookie(req, SECURE_SESSION_COOKIE) ?? readCookie(req, SESSION_COOKIE);
  if (cookie !== undefined) return { carrier: 'cookie', value: cookie };
  return null;
}
