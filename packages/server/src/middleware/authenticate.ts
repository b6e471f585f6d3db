import type { Request } from 'express';
import { requestIp } from '../http/client-ip.js';
import { parseToken, type ParsedToken, type TokenKind } from '@acct/shared';
import type { AppDeps } from '../deps.js';
import { HttpError } from '../http/http-error.js';
import type { Caller } from '../auth/principal.js';
import { authenticateSession } from '../auth/sessions.js';
import { authenticateKey } from '../keys/key-auth.js';
import { authenticateTeamKey } from '../keys/team-keys.service.js';

export const SESSION_COOKIE = 'acct_session';
export const SECURE_SESSION_COOKIE = '__Host-acct_session';

/** Where a token arrived from; each credential kind says where it may arrive. */
export type Carrier = 'cookie' | 'authorization' | 'x-api-key';

/**
 * A credential kind: where its tokens may be carried and how one becomes a principal.
 * New kinds (team keys, OAuth access tokens) plug in by adding an entry.
 */
export interface CredentialKind {
  carriers: readonly Carrier[];
  resolve(deps: AppDeps, token: ParsedToken, req: Request): Promise<Caller>;
}

export const CREDENTIAL_KINDS: Partial<Record<TokenKind, CredentialKind>> = {
  session: { carriers: ['cookie'], resolve: (d, t) => authenticateSession(d.db, d.config, d.clock, t) },
  bearerSession: { carriers: ['authorization'], resolve: (d, t) => authenticateSession(d.db, d.config, d.clock, t) },
  pat: { carriers: ['authorization', 'x-api-key'], resolve: (d, t, req) => authenticateKey(d, t, requestIp(req)) },
  teamKey: { carriers: ['authorization', 'x-api-key'], resolve: (d, t, req) => authenticateTeamKey(d, t, requestIp(req)) },
};

/** Reads one cookie from the Cookie header without a parser dependency. */
export function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) {
      try {
        return decodeURIComponent(part.slice(i + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

const UNAUTHORIZED_HEADERS = { 'WWW-Authenticate': 'Bearer realm="acct", error="invalid_token"' };

/** The credential a request presents: an explicit header wins over the cookie. */
export function presentedCredential(req: Request): { carrier: Carrier; value: string } | null {
  const apiKey = req.get('x-api-key');
  if (apiKey !== undefined) return { carrier: 'x-api-key', value: apiKey.trim() };
  const authorization = req.get('authorization');
  if (authorization !== undefined) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    return { carrier: 'authorization', value: m?.[1] ?? '' };
  }
  const cookie = readCookie(req, SECURE_SESSION_COOKIE) ?? readCookie(req, SESSION_COOKIE);
  if (cookie !== undefined) return { carrier: 'cookie', value: cookie };
  return null;
}

/** Resolves the request's caller once; 401 with the precise code when it cannot. */
export async function authenticate(deps: AppDeps, req: Request): Promise<Caller> {
  const presented = presentedCredential(req);
  if (!presented) throw new HttpError('UNAUTHORIZED', undefined, undefined, { 'WWW-Authenticate': 'Bearer realm="acct"' });
  const token = parseToken(presented.value);
  const kind = token ? CREDENTIAL_KINDS[token.kind] : undefined;
  if (!token || !kind || !kind.carriers.includes(presented.carrier))
    throw new HttpError('INVALID_TOKEN', 'The credential is malformed or not accepted here', undefined, UNAUTHORIZED_HEADERS);
  try {
    const resolve = () => kind.resolve(deps, token, req);
    return await (deps.credentialCache ? deps.credentialCache.resolve(token, req, resolve) : resolve());
  } catch (err) {
    if (err instanceof HttpError && err.status === 401) {
      throw new HttpError(err.code, err.message, undefined, UNAUTHORIZED_HEADERS);
    }
    throw err;
  }
}
