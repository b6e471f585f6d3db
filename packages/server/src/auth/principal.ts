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

/** An OAuth 2.1 access token (`bo_`): a third-party app acting for the user with what they consented to. */
export interface OAuthCredential {
  kind: 'oauth';
  tokenId: string;
  /** The grant (one approved authorization, the family of its tokens). */
  grantId: string;
  clientId: string;
  scopes: ReadonlySet<Scope>;
  /** The organization the user limited the grant to, or null. */
  organizationId: string | null;
  /** The RFC 8707 resource the token was issued for, or null (the API). */
  resource: string | null;
}

export type Credential = SessionCredential | KeyCredential | OAuthCredential;

/** The organization a token credential is pinned to (PATs, OAuth grants), or null. */
export function pinnedOrganization(credential: Credential): string | null {
  return credential.kind === 'session' ? null : credential.organizationId;
}

/** The id a request log and rate limits name the credential by. */
export function credentialId(credential: Credential): string {
  return credential.kind === 'pat' ? credential.keyId : credential.kind === 'oauth' ? credential.grantId : credential.sessionId;
}

/** A team key: a machine identity that belongs to a team, not to a person. */
export interface TeamKeyCredential {
  kind: 'team-key';
  keyId: string;
  teamId: string;
  organizationId: string;
  scopes: ReadonlySet<Scope>;
}

/** A person calling, resolved once per request by `authenticate`. */
export interface Principal {
  user: UserRow;
  credential: Credential;
}

/** A team calling through one of its keys. */
export interface TeamPrincipal {
  team: { id: string; organizationId: string };
  credential: TeamKeyCredential;
}

export type Caller = Principal | TeamPrincipal;

export function isTeamCaller(caller: Caller): caller is TeamPrincipal {
  return caller.credential.kind === 'team-key';
}

/** Whether the credential holds a scope (sessions hold them all). */
export function hasScope(principal: Principal, scope: Scope): boolean {
  return principal.credential.kind === 'session' || principal.credential.scopes.has(scope);
}
