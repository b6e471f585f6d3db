import type { Request } from 'express';
import type { ParsedToken, TokenKind } from '@acct/shared';
import type { AppDeps } from '../../deps.js';
import type { HttpError } from '../../http/http-error.js';
import type { Carrier, Principal } from '../principal.js';

/**
 * One kind of credential: which tokens are its own (their prefix, the carriers they may arrive
 * in), how one becomes a principal, and what a 401 for it says in `WWW-Authenticate`. Adding a
 * kind is adding one of these to `CREDENTIAL_KINDS` (auth/credentials/index.ts); nothing else
 * branches on the kind.
 */
export interface CredentialKind {
  /** The principal's `credential.kind`: what logs and rate-limit keys call it. */
  readonly name: string;
  /**
   * Recognition: the token kinds (prefixes, @acct/shared TOKEN_KINDS) this entry resolves, each
   * with where it may be sent; anywhere else it is refused before any lookup.
   */
  readonly tokens: Readonly<Partial<Record<TokenKind, readonly Carrier[]>>>;
  /** The principal of a well-formed token; throws an HttpError (401 codes) when it does not resolve. */
  resolve(deps: AppDeps, token: ParsedToken, req: Request, carrier: Carrier): Promise<Principal>;
  /**
   * A check of the resolved principal against this request, run on every request after the
   * credential cache (which keys by token, not by request): e.g. an OAuth token's audience.
   * Throws an HttpError (401 codes) to refuse.
   */
  accepts?(deps: AppDeps, principal: Principal, req: Request): void;
  /** `WWW-Authenticate` for a 401 answered to a token of this kind. */
  challenge(error: HttpError): string;
}

/** RFC 6750 §3: the challenge of a bearer token that did not resolve. */
export function bearerChallenge(_error: HttpError): string {
  return 'Bearer realm="acct", error="invalid_token"';
}
