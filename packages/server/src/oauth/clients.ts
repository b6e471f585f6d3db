import type { Request } from 'express';
import { randomBase62 } from '@acct/shared';
import type { AppDeps } from '../deps.js';
import type { OAuthClientRow } from '../db/schema.js';
import { sha256, sameDigest } from '../auth/hashing.js';
import { addSeconds, iso } from '../time/clock.js';
import { findClient, findRegisteredClient, insertClient, saveClient } from './oauth.repository.js';
import { DocumentFetchError, fetchDocument } from './document-fetch.js';
import { OAuthError } from './errors.js';
import { parseScopeParam } from './scopes.js';

export const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
export const GRANT_TYPES = ['authorization_code', 'refresh_token', DEVICE_GRANT] as const;
export type AuthMethod = 'none' | 'client_secret_basic' | 'client_secret_post';

/** A client as the authorization server uses it, whatever its origin. */
export interface OAuthClient {
  id: string;
  kind: 'static' | 'registered' | 'document';
  name: string;
  redirectUris: string[];
  grantTypes: string[];
  authMethod: AuthMethod;
  secretHash: string | null;
  scope: string | null;
}

/** The CLI's own public client (API.md): device grant and loopback redirects, no secret. */
export const CLI_CLIENT: OAuthClient = {
  id: 'acct-cli',
  kind: 'static',
  name: 'acct CLI',
  redirectUris: ['http://127.0.0.1/callback', 'http://[::1]/callback'],
  grantTypes: [...GRANT_TYPES],
  authMethod: 'none',
  secretHash: null,
  scope: null,
};

function fromRow(row: OAuthClientRow): OAuthClient {
  return {
    id: row.id, kind: row.kind as OAuthClient['kind'], name: row.name, redirectUris: JSON.parse(row.redirect_uris) as string[],
    grantTypes: JSON.parse(row.grant_types) as string[], authMethod: row.auth_method as AuthMethod, secretHash: row.secret_hash, scope: row.scope,
  };
}

function isLoopbackHost(hostname: string): boolean {
  return hostname === '127.0.0.1' || hostname === '[::1]' || hostname === 'localhost';
}

/** A redirect URI a client may register: https, http on a loopback address (RFC 8252 §7.3), or a private-use scheme (§7.1). */
export function redirectUriProblem(value: unknown): string | null {
  if (typeof value !== 'string' || value.length > 2000) return 'must be a URL of at most 2000 characters';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `${JSON.stringify(value)} is not an absolute URL`;
  }
  if (url.hash || value.includes('#')) return 'must not contain a fragment';
  if (url.protocol === 'https:') return url.username || url.password ? 'must not contain credentials' : null;
  if (url.protocol === 'http:') return isLoopbackHost(url.hostname) ? null : 'http is allowed only for loopback addresses (127.0.0.1, [::1], localhost)';
  if (/^[a-z][a-z0-9+.-]*\.[a-z0-9+.-]+:$/i.test(url.protocol) && !/^(javascript|data|file|vbscript):$/i.test(url.protocol)) return null;
  return 'must be https, loopback http, or a private-use scheme such as com.example.app:/callback';
}

/**
 * Exact matching (OAuth 2.1 §2.3.1), except that a loopback redirect matches on any port
 * (RFC 8252 §7.3): native apps listen on whatever port is free.
 */
export function redirectAllowed(client: OAuthClient, candidate: string): boolean {
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    return false;
  }
  return client.redirectUris.some((registered) => {
    if (registered === candidate) return true;
    const r = new URL(registered);
    if (r.protocol !== 'http:' || url.protocol !== 'http:' || !isLoopbackHost(r.hostname) || r.hostname !== url.hostname) return false;
    return r.pathname === url.pathname && r.search === url.search && !url.hash && !url.username && !url.password;
  });
}

/** True when every redirect of the client is on the user's own machine: the consent page warns. */
export function onlyLoopbackRedirects(client: OAuthClient): boolean {
  return client.redirectUris.length > 0 && client.redirectUris.every((u) => {
    try {
      const url = new URL(u);
      return url.protocol === 'http:' && isLoopbackHost(url.hostname);
    } catch {
      return false;
    }
  });
}

/** Whether a client_id names a metadata document (an https URL; http on loopback with the switch). */
function documentUrl(deps: AppDeps, clientId: string): URL | null {
  if (!/^https?:\/\//.test(clientId)) return null;
  let url: URL;
  try {
    url = new URL(clientId);
  } catch {
    return null;
  }
  if (url.href !== clientId || url.hash || url.username || url.password || url.pathname === '/' || /\/\.\.?(\/|$)/.test(url.pathname)) return null;
  if (url.protocol === 'http:' && !(deps.config.oauth.allowLoopbackClients && isLoopbackHost(url.hostname))) return null;
  return url;
}

/** Fetches, checks and caches a Client ID Metadata Document. */
async function loadDocumentClient(deps: AppDeps, url: URL): Promise<OAuthClient> {
  const now = deps.clock.now();
  const cached = await findClient(deps.db, url.href);
  if (cached && cached.expires_at && new Date(cached.expires_at) > now) return fromRow(cached);
  let fetched;
  try {
    fetched = await fetchDocument(url, deps.config.oauth.allowLoopbackClients);
  } catch (err) {
    if (err instanceof DocumentFetchError) throw new OAuthError('invalid_client', `The client metadata document could not be used: ${err.message}`);
    throw err;
  }
  const doc = fetched.body as Record<string, unknown> | null;
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new OAuthError('invalid_client', 'The client metadata document is not a JSON object');
  if (doc['client_id'] !== url.href) throw new OAuthError('invalid_client', 'The client metadata document names a different client_id than its own URL');
  const redirects = doc['redirect_uris'];
  if (!Array.isArray(redirects) || redirects.length === 0 || redirects.length > 20) throw new OAuthError('invalid_client', 'The client metadata document needs redirect_uris');
  for (const r of redirects) {
    const problem = redirectUriProblem(r);
    if (problem) throw new OAuthError('invalid_client', `The client metadata document has a bad redirect URI: ${problem}`);
  }
  const method = doc['token_endpoint_auth_method'] ?? 'none';
  if (method !== 'none') throw new OAuthError('invalid_client', 'A metadata-document client authenticates with token_endpoint_auth_method "none" here');
  const name = typeof doc['client_name'] === 'string' && doc['client_name'].trim() ? doc['client_name'].trim().slice(0, 100) : url.hostname;
  const grantTypes = Array.isArray(doc['grant_types']) ? (doc['grant_types'] as unknown[]).filter((g): g is string => typeof g === 'string' && (GRANT_TYPES as readonly string[]).includes(g)) : ['authorization_code', 'refresh_token'];
  const row: OAuthClientRow = {
    id: url.href, kind: 'document', name, redirect_uris: JSON.stringify(redirects), grant_types: JSON.stringify(grantTypes), auth_method: 'none',
    secret_hash: null, scope: typeof doc['scope'] === 'string' ? doc['scope'] : null, created_at: iso(now), expires_at: iso(addSeconds(now, fetched.ttl)),
  };
  await saveClient(deps.db, row);
  return fromRow(row);
}

/** The client a client_id names; invalid_client when there is none. */
export async function resolveClient(deps: AppDeps, clientId: unknown, req?: Request): Promise<OAuthClient> {
  if (typeof clientId !== 'string' || clientId.length === 0 || clientId.length > 2000) throw new OAuthError('invalid_client', 'client_id is missing or malformed');
  if (clientId === CLI_CLIENT.id) return CLI_CLIENT;
  const url = documentUrl(deps, clientId);
  if (url) return loadDocumentClient(deps, url);
  if (/^https?:/.test(clientId)) throw new OAuthError('invalid_client', 'A URL client_id must be an https URL with a path (loopback http only when the server allows it)');
  // Through the credential cache when there is one (oauth_clients is among the tables whose changes bump the epoch).
  // The parsed client is what is kept: its JSON columns are read once, not on every request.
  const load = async () => {
    const row = await findRegisteredClient(deps.db, clientId);
    return row ? fromRow(row) : null;
  };
  const client = deps.credentialCache ? await deps.credentialCache.remember(`client:${clientId}`, load, () => Infinity, req) : await load();
  if (!client) throw new OAuthError('invalid_client', 'Unknown client');
  return client;
}

function basicCredentials(req: Request): { id: string; secret: string } | null {
  const header = req.get('authorization');
  const m = header ? /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header) : null;
  if (!m) return null;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) return null;
  try {
    return { id: decodeURIComponent(decoded.slice(0, i).replace(/\+/g, ' ')), secret: decodeURIComponent(decoded.slice(i + 1).replace(/\+/g, ' ')) };
  } catch {
    return null;
  }
}

/**
 * Authenticates the client of a token, revocation or introspection request: `client_secret_basic`,
 * `client_secret_post`, or a public client naming itself (`none`). `confidentialOnly` refuses the last.
 */
export async function authenticateClient(deps: AppDeps, req: Request, body: Record<string, unknown>, confidentialOnly = false): Promise<OAuthClient> {
  // A resource server introspects with the same Basic header on every request: a header that
  // authenticated its client is remembered (keyed by its digest, like a PAT) until the epoch
  // moves, which any change to oauth_clients (a new secret, a deleted client) does.
  const header = req.headers.authorization;
  if (header !== undefined && deps.credentialCache && /^basic\s/i.test(header)) {
    const known = await deps.credentialCache.remember(`client-basic:${header}`, async () => {
      try {
        return { client: await authenticateClientOnce(deps, req, {}, false) };
      } catch {
        return null;
      }
    }, () => Infinity, req);
    if (known) {
      if (body['client_id'] !== undefined && body['client_id'] !== known.client.id) throw new OAuthError('invalid_client', 'client_id differs from the authenticated client', 401, { 'WWW-Authenticate': 'Basic realm="acct"' });
      return known.client;
    }
  }
  return authenticateClientOnce(deps, req, body, confidentialOnly);
}

async function authenticateClientOnce(deps: AppDeps, req: Request, body: Record<string, unknown>, confidentialOnly: boolean): Promise<OAuthClient> {
  const basic = basicCredentials(req);
  const challenge: Record<string, string> = basic ? { 'WWW-Authenticate': 'Basic realm="acct"' } : {};
  const fail = (message: string) => new OAuthError('invalid_client', message, 401, challenge);
  if (req.get('authorization') && !basic) throw fail('The Authorization header is not HTTP Basic client authentication');
  const bodyId = body['client_id'];
  if (basic && bodyId !== undefined && bodyId !== basic.id) throw fail('client_id differs from the authenticated client');
  const secret = basic ? basic.secret : body['client_secret'];
  let client: OAuthClient;
  try {
    client = await resolveClient(deps, basic ? basic.id : bodyId, req);
  } catch (err) {
    if (err instanceof OAuthError) throw fail(err.message);
    throw err;
  }
  if (client.authMethod === 'none') {
    if (secret !== undefined) throw fail('This client is public: it has no secret');
    if (confidentialOnly) throw fail('This endpoint needs an authenticated (confidential) client');
    return client;
  }
  if (typeof secret !== 'string' || !client.secretHash) throw fail('Client authentication is required');
  if (basic && client.authMethod !== 'client_secret_basic') throw fail(`This client authenticates with ${client.authMethod}`);
  if (!basic && client.authMethod !== 'client_secret_post') throw fail(`This client authenticates with ${client.authMethod}`);
  if (!sameDigest(Buffer.from(sha256(secret), 'hex'), Buffer.from(client.secretHash, 'hex'))) throw fail('Client authentication failed');
  return client;
}

export interface Registration {
  client: Record<string, unknown>;
}

/** RFC 7591 registration: checks the metadata, stores the client, answers with its id (and secret, once). */
export async function registerClient(deps: AppDeps, body: unknown): Promise<Record<string, unknown>> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new OAuthError('invalid_client_metadata', 'The body must be a JSON object of client metadata');
  const meta = body as Record<string, unknown>;
  const redirects = meta['redirect_uris'];
  if (!Array.isArray(redirects) || redirects.length === 0 || redirects.length > 10) throw new OAuthError('invalid_redirect_uri', 'redirect_uris must list 1 to 10 URIs');
  for (const r of redirects) {
    const problem = redirectUriProblem(r);
    if (problem) throw new OAuthError('invalid_redirect_uri', `redirect_uris: ${problem}`);
  }
  const method = meta['token_endpoint_auth_method'] ?? 'client_secret_basic';
  if (!['none', 'client_secret_basic', 'client_secret_post'].includes(method as string))
    throw new OAuthError('invalid_client_metadata', 'token_endpoint_auth_method must be none, client_secret_basic or client_secret_post');
  const grantTypes = meta['grant_types'] ?? ['authorization_code', 'refresh_token'];
  if (!Array.isArray(grantTypes) || grantTypes.length === 0 || grantTypes.some((g) => !(GRANT_TYPES as readonly unknown[]).includes(g)))
    throw new OAuthError('invalid_client_metadata', `grant_types may name only ${GRANT_TYPES.join(', ')}`);
  const responseTypes = meta['response_types'] ?? ['code'];
  if (!Array.isArray(responseTypes) || responseTypes.some((t) => t !== 'code')) throw new OAuthError('invalid_client_metadata', 'response_types may only be ["code"]');
  const name = meta['client_name'] ?? 'Unnamed application';
  if (typeof name !== 'string' || !name.trim() || name.length > 100) throw new OAuthError('invalid_client_metadata', 'client_name must be 1 to 100 characters');
  const scope = meta['scope'];
  if (scope !== undefined && (typeof scope !== 'string' || scope.length > 1000 || parseScopeParam(scope) === null))
    throw new OAuthError('invalid_client_metadata', 'scope names a scope outside the catalogue');
  const now = deps.clock.now();
  const id = `oc_${randomBase62(24)}`;
  const secret = method === 'none' ? null : randomBase62(43);
  await insertClient(deps.db, {
    id, kind: 'registered', name: name.trim(), redirect_uris: JSON.stringify(redirects), grant_types: JSON.stringify(grantTypes),
    auth_method: method as string, secret_hash: secret ? sha256(secret) : null, scope: (scope as string | undefined) ?? null, created_at: iso(now), expires_at: null,
  });
  return {
    client_id: id,
    client_id_issued_at: Math.floor(now.getTime() / 1000),
    ...(secret ? { client_secret: secret, client_secret_expires_at: 0 } : {}),
    client_name: name.trim(),
    redirect_uris: redirects,
    grant_types: grantTypes,
    response_types: ['code'],
    token_endpoint_auth_method: method,
    ...(scope !== undefined ? { scope } : {}),
  };
}
