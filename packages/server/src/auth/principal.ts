import type { Scope } from '@acct/shared';
import type { UserRow } from '../db/schema.js';

/** Where a token arrived: each credential kind says which carriers it accepts. */
export type Carrier = 'cookie' | 'authorization' | 'x-api-key';

/**
 * Who acts. A person (`user`, with their row as read while authenticating, including the
 * organization count /api/user/me shows), a team acting through one of its keys, or an OAuth
 * client acting for itself (client credentials: no person behind it).
 */
export type Subject =
  | { kind: 'user'; id: string; user: UserRow & { organization_count?: number | null } }
  | { kind: 'team'; id: string; organizationId: string }
  | { kind: 'client'; id: string };

/** The credential that proved it: its registry name and its own id (what limits and logs count by). */
export interface CredentialRef {
  /** The registry entry's name (`session`, `pat`, `team-key`, …). */
  kind: string;
  /** Session id, key id, token id: never the secret. */
  id: string;
  /** When the credential was issued (fresh-session checks). */
  issuedAt: string;
  carrier: Carrier;
}

/**
 * The one normalised caller of an authenticated request, resolved once by a credential kind
 * (auth/credentials/). Guards, rate limits and the access log read nothing else: a new kind of
 * credential only has to produce one of these.
 */
export interface Principal {
  subject: Subject;
  credential: CredentialRef;
  /** What the credential may do: `all` (a signed-in session) or its scopes. */
  scopes: 'all' | ReadonlySet<Scope>;
  /** The one organization the credential may act in (a pinned PAT, a team key), or null. */
  organizationId: string | null;
  /** A person at a browser or CLI signed in with a password (a session), not a token. */
  interactive: boolean;
  /** OAuth: the client the token was issued to, and the resource (audience) it is for. */
  clientId: string | null;
  audience: string | null;
}

/** Whether the principal holds a scope (sessions hold them all). */
export function hasScope(principal: Principal, scope: Scope): boolean {
  return principal.scopes === 'all' || principal.scopes.has(scope);
}

/** The fields every principal shares, so a kind writes only what is its own. */
export function principal(
  subject: Subject,
  credential: CredentialRef,
  rest: Partial<Pick<Principal, 'scopes' | 'organizationId' | 'interactive' | 'clientId' | 'audience'>> & Pick<Principal, 'scopes'>,
): Principal {
  return {
    subject, credential, scopes: rest.scopes, organizationId: rest.organizationId ?? null, interactive: rest.interactive ?? false,
    clientId: rest.clientId ?? null, audience: rest.audience ?? null,
  };
}

/** The access log's `actor`: the credential that acted and whose it is. */
export function actorOf(p: Principal): Record<string, string> {
  return { kind: p.credential.kind, id: p.credential.id, [`${p.subject.kind}Id`]: p.subject.id };
}
