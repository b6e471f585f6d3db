import type { Scope } from '@acct/shared';
import type { UserRow } from '../db/schema.js';

/** A signed-in session, by cookie or as a bearer token from /api/auth/login. */
export interface SessionCredential {
  kind: 'session';
  sessionId: string;
  bearer: boolean;
  createdAt: string;
}

/** A personal access token: acts with its scopes, optionally pinned to one organization. */
export interface KeyCredential {
  kind: 'pat';
  keyId: string;
  scopes: ReadonlySet<Scope>;
  organizationId: string | null;
}

export type Credential = SessionCredential | KeyCredential;

/** Who is calling, resolved once per request by `authenticate`. */
export interface Principal {
  user: UserRow;
  credential: Credential;
}

/** Whether the credential holds a scope (sessions hold them all). */
export function hasScope(principal: Principal, scope: Scope): boolean {
  return principal.credential.kind === 'session' || principal.credential.scopes.has(scope);
}
