import { isScope, SCOPES, type Scope } from '@acct/shared';

/** OpenID and OAuth scopes an app may ask for besides the API catalogue (API.md "Phase 2 contracts"). */
export const EXTRA_SCOPES = {
  openid: 'Know who you are (your user id)',
  profile: 'See your name and handle',
  email: 'See your email address',
  offline_access: 'Stay connected when you are not using it (refresh tokens)',
} as const;

/** Every scope the authorization server knows, in the order the metadata lists them. */
export const SUPPORTED_SCOPES: readonly string[] = [...Object.keys(SCOPES), ...Object.keys(EXTRA_SCOPES)];

const SUPPORTED = new Set(SUPPORTED_SCOPES);

/** The scope's description, for the consent page. */
export function describeScope(scope: string): string {
  return (SCOPES as Record<string, string>)[scope] ?? (EXTRA_SCOPES as Record<string, string>)[scope] ?? scope;
}

/** Splits a `scope` parameter; null when a name is outside the catalogue (invalid_scope). */
export function parseScopeParam(value: string): string[] | null {
  const names = [...new Set(value.split(' ').filter(Boolean))];
  if (names.some((n) => !SUPPORTED.has(n))) return null;
  return names;
}

/** The API scopes among a grant's: what `bind` checks routes against. */
export function apiScopes(names: readonly string[]): Scope[] {
  return names.filter(isScope);
}

/** The scope asked for when a request names none. */
export const DEFAULT_SCOPES = ['user:read'];
