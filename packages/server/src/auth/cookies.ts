import type { Request, Response } from 'express';
import type { AppDeps } from '../deps.js';
import { SECURE_SESSION_COOKIE, SESSION_COOKIE } from '../middleware/authenticate.js';

function secure(deps: AppDeps, req: Request): boolean {
  return req.secure || deps.baseUrl().startsWith('https://');
}

/** HttpOnly, Path=/, SameSite=Lax, no Domain; `__Host-` and Secure whenever served over HTTPS. */
export function setSessionCookie(deps: AppDeps, req: Request, res: Response, token: string, maxAgeSeconds: number | null): void {
  const isSecure = secure(deps, req);
  const name = isSecure ? SECURE_SESSION_COOKIE : SESSION_COOKIE;
  const parts = [`${name}=${token}`, 'Path=/', 'HttpOnly', 'SameSite=Lax'];
  if (isSecure) parts.push('Secure');
  if (maxAgeSeconds !== null) parts.push(`Max-Age=${maxAgeSeconds}`);
  res.append('Set-Cookie', parts.join('; '));
}

export function clearSessionCookie(deps: AppDeps, req: Request, res: Response): void {
  const isSecure = secure(deps, req);
  res.append('Set-Cookie', `${isSecure ? SECURE_SESSION_COOKIE : SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax${isSecure ? '; Secure' : ''}; Max-Age=0`);
}
