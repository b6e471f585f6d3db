import type { AppDeps } from '../deps.js';
import { redirectAllowed, resolveClient, type OAuthClient } from './clients.js';
import { OAuthError, type OAuthErrorCode } from './errors.js';
import { resourceProblem } from './grants.js';
import { DEFAULT_SCOPES, parseScopeParam } from './scopes.js';

/** A checked authorization request (OAuth 2.1 §4.1.1), ready for the consent page. */
export interface AuthorizationRequest {
  client: OAuthClient;
  redirectUri: string;
  state: string | undefined;
  scopes: string[];
  resource: string | null;
  codeChallenge: string;
  /** OIDC Core 3.1.2.1 `prompt`: `none` (answer without any page) or `consent` (ask even if remembered). */
  prompt: Set<'none' | 'consent'>;
}

/** The `prompt` values this server honours (metadata `prompt_values_supported`). */
export const PROMPT_VALUES = ['none', 'consent'] as const;

/** A problem the user must see: the client or its redirect cannot be trusted, so nothing is sent back to it. */
export class AuthorizationPageError extends Error {
  constructor(readonly error: OAuthErrorCode, message: string) {
    super(message);
  }
}

/** A problem reported to the client at its redirect URI (with `state` and `iss`). */
export class AuthorizationRedirectError extends Error {
  constructor(readonly redirectUri: string, readonly error: OAuthErrorCode, message: string, readonly state: string | undefined) {
    super(message);
  }
}

/** The client's redirect URI with response parameters and `iss` (RFC 9207) added. */
export function redirectTo(deps: AppDeps, redirectUri: string, params: Record<string, string | undefined>): string {
  const url = new URL(redirectUri);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  url.searchParams.set('iss', deps.baseUrl());
  return url.href;
}

const PARAMS = ['response_type', 'client_id', 'redirect_uri', 'scope', 'state', 'code_challenge', 'code_challenge_method', 'resource', 'nonce', 'prompt'];

function single(query: Record<string, unknown>, name: string): string | undefined {
  const v = query[name];
  return typeof v === 'string' ? v : undefined;
}

/** Checks an authorization request from its query parameters, in the order RFC 6749 §4.1.2.1 prescribes. */
export async function parseAuthorizationRequest(deps: AppDeps, query: Record<string, unknown>): Promise<AuthorizationRequest> {
  for (const name of PARAMS) {
    if (query[name] !== undefined && typeof query[name] !== 'string') throw new AuthorizationPageError('invalid_request', `The parameter ${name} appears more than once`);
  }
  let client: OAuthClient;
  try {
    client = await resolveClient(deps, query['client_id']);
  } catch (err) {
    if (err instanceof OAuthError) throw new AuthorizationPageError('invalid_client', err.message);
    throw err;
  }
  const asked = single(query, 'redirect_uri');
  let redirectUri: string;
  if (asked === undefined) {
    if (client.redirectUris.length !== 1 || client.kind === 'static') throw new AuthorizationPageError('invalid_request', 'redirect_uri is missing');
    redirectUri = client.redirectUris[0]!;
  } else if (redirectAllowed(client, asked)) {
    redirectUri = asked;
  } else {
    throw new AuthorizationPageError('invalid_request', 'redirect_uri is not registered for this client');
  }
  const state = single(query, 'state');
  const fail = (error: OAuthErrorCode, message: string) => new AuthorizationRedirectError(redirectUri, error, message, state);
  if (single(query, 'response_type') !== 'code') throw fail('unsupported_response_type', 'response_type must be code');
  if (!client.grantTypes.includes('authorization_code')) throw fail('unauthorized_client', 'This client may not use the authorization code grant');
  const challenge = single(query, 'code_challenge');
  const method = single(query, 'code_challenge_method');
  if (!challenge) throw fail('invalid_request', 'code_challenge is required (PKCE)');
  if (method !== 'S256') throw fail('invalid_request', 'code_challenge_method must be S256');
  if (!/^[A-Za-z0-9_-]{43}$/.test(challenge)) throw fail('invalid_request', 'code_challenge must be a base64url SHA-256 (43 characters)');
  const scopeParam = single(query, 'scope');
  const scopes = scopeParam === undefined || scopeParam.trim() === '' ? parseScopeParam(client.scope ?? '') ?? [] : parseScopeParam(scopeParam);
  if (!scopes) throw fail('invalid_scope', 'A requested scope is not in the catalogue');
  const resource = single(query, 'resource') ?? null;
  if (resource !== null) {
    const problem = resourceProblem(deps.baseUrl(), resource);
    if (problem) throw fail('invalid_target', problem);
  }
  const prompt = new Set<'none' | 'consent'>();
  for (const value of (single(query, 'prompt') ?? '').split(' ').filter(Boolean)) {
    if (!(PROMPT_VALUES as readonly string[]).includes(value)) throw fail('invalid_request', `prompt=${value} is not supported (supported: ${PROMPT_VALUES.join(', ')})`);
    prompt.add(value as 'none' | 'consent');
  }
  // OIDC Core 3.1.2.1: none with any other value is an error.
  if (prompt.has('none') && prompt.size > 1) throw fail('invalid_request', 'prompt=none cannot be combined with another value');
  return { client, redirectUri, state, scopes: scopes.length ? scopes : [...DEFAULT_SCOPES], resource, codeChallenge: challenge, prompt };
}
