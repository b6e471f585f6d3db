import type { Request } from 'express';
import { parseToken, type TokenKind } from '@acct/shared';
import type { AppDeps } from '../../deps.js';
import { HttpError } from '../../http/http-error.js';
import type { Carrier, Principal } from '../principal.js';
import type { CredentialKind } from './credential-kind.js';
import { presentedCredential } from './carriers.js';
import { patCredential } from './pat.js';
import { sessionCredential } from './session.js';
import { teamKeyCredential } from './team-key.js';
import { oauthAccessCredential } from './oauth-access.js';

export type { CredentialKind } from './credential-kind.js';
export { presentedCredential } from './carriers.js';

/** Every kind of credential the server accepts (docs/architecture.md "Adding a credential kind"). */
export const CREDENTIAL_KINDS: readonly CredentialKind[] = [sessionCredential, patCredential, teamKeyCredential, oauthAccessCredential];

/** Token kind → (carrier → the entry that resolves it there): one lookup per request. */
const RECOGNISE = new Map<TokenKind, Map<Carrier, CredentialKind>>();
for (const kind of CREDENTIAL_KINDS) {
  for (const [token, carriers] of Object.entries(kind.tokens) as [TokenKind, readonly Carrier[]][]) {
    let byCarrier = RECOGNISE.get(token);
    if (!byCarrier) RECOGNISE.set(token, (byCarrier = new Map()));
    for (const carrier of carriers) {
      if (byCarrier.has(carrier)) throw new Error(`two credential kinds claim ${token} tokens in ${carrier}`);
      byCarrier.set(carrier, kind);
    }
  }
}

/** The challenge of a request that sent no credential at all. */
const NO_CREDENTIAL = { 'WWW-Authenticate': 'Bearer realm="acct"' };
const NOT_ACCEPTED = { 'WWW-Authenticate': 'Bearer realm="acct", error="invalid_token"' };

/** Resolves the request's principal once; 401 with the precise code and the kind's challenge when it cannot. */
export async function authenticate(deps: AppDeps, req: Request): Promise<Principal> {
  const presented = presentedCredential(req);
  if (!presented) throw new HttpError('UNAUTHORIZED', undefined, undefined, NO_CREDENTIAL);
  const token = parseToken(presented.value);
  const kind = token ? RECOGNISE.get(token.kind)?.get(presented.carrier) : undefined;
  if (!token || !kind) throw new HttpError('INVALID_TOKEN', 'The credential is malformed or not accepted here', undefined, NOT_ACCEPTED);
  try {
    const resolve = () => kind.resolve(deps, token, req, presented.carrier);
    const principal = await (deps.credentialCache ? deps.credentialCache.resolve(token, presented.carrier, req, resolve) : resolve());
    kind.accepts?.(deps, principal, req);
    return principal;
  } catch (err) {
    if (err instanceof HttpError && err.status === 401) throw new HttpError(err.code, err.message, undefined, { 'WWW-Authenticate': kind.challenge(err) });
    throw err;
  }
}
