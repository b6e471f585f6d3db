import { announcingWrites } from '../auth/invalidation.js';
import { Router, type Request, type Response } from 'express';
import type { AppDeps } from '../deps.js';
import { sha256 } from '../auth/hashing.js';
import { HttpError } from '../http/http-error.js';
import { logRequest, READ_ONLY } from '../http/access-log.js';
import { OAUTH } from '../http/render/oauth.js';
import { useRenderer } from '../http/render/renderer.js';
import { addSeconds, iso } from '../time/clock.js';
import { ulid } from '../db/ids.js';
import { authenticateClient, DEVICE_GRANT, registerClient } from './clients.js';
import { OAuthError } from './errors.js';
import { exchangeCode, pollDeviceCode, refreshTokens, resourceProblem, revokeToken } from './grants.js';
import { introspect, rememberedIntrospection } from './introspection.js';
import { PROMPT_VALUES } from './authorization-request.js';
import { DEFAULT_SCOPES, parseScopeParam, SUPPORTED_SCOPES } from './scopes.js';
import { newCode, newUserCode, formatUserCode } from './tokens.js';

/** Protocol endpoints that take `application/x-www-form-urlencoded` bodies (RFC 6749 §3.2, RFC 7009, RFC 7662, RFC 8628). */
export const OAUTH_FORM_PATHS = ['/oauth2/token', '/oauth2/revoke', '/oauth2/introspect', '/oauth2/device_authorization', '/oauth/consent', '/device'];

/** RFC 8414 metadata: only what this server does. */
export function authorizationServerMetadata(deps: AppDeps): Record<string, unknown> {
  const base = deps.baseUrl();
  return {
    issuer: base,
    authorization_endpoint: `${base}/oauth2/authorize`,
    token_endpoint: `${base}/oauth2/token`,
    device_authorization_endpoint: `${base}/oauth2/device_authorization`,
    revocation_endpoint: `${base}/oauth2/revoke`,
    introspection_endpoint: `${base}/oauth2/introspect`,
    // An empty JWK Set: acct signs nothing (opaque tokens, no ID tokens); docs/oauth.md "Keys (jwks_uri)".
    jwks_uri: `${base}/oauth2/jwks`,
    ...(deps.config.oauth.registration ? { registration_endpoint: `${base}/oauth2/register` } : {}),
    scopes_supported: SUPPORTED_SCOPES,
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code', 'refresh_token', DEVICE_GRANT],
    token_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'client_secret_post'],
    revocation_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'client_secret_post'],
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    code_challenge_methods_supported: ['S256'],
    prompt_values_supported: [...PROMPT_VALUES],
    authorization_response_iss_parameter_supported: true,
    client_id_metadata_document_supported: true,
    service_documentation: `${base}/docs`,
  };
}

function sendJson(deps: AppDeps, req: Request, res: Response, status: number, body: unknown, headers: Record<string, string> = {}, serialised?: string): void {
  const json = serialised ?? JSON.stringify(body);
  res.statusCode = status;
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Pragma', 'no-cache');
  res.setHeader('Content-Length', Buffer.byteLength(json));
  res.end(json);
  logRequest(deps.logger, req, res);
}

/**
 * Runs a protocol endpoint. Its errors, OAuthError or any other (an unavailable database, a bug),
 * are written by the OAUTH renderer through the error middleware: `{ error, error_description }`.
 */
function endpoint(deps: AppDeps, run: (req: Request, res: Response, body: Record<string, unknown>) => Promise<{ status?: number; body: unknown; json?: string } | null>, readOnly = false) {
  const answer = async (req: Request, res: Response) => {
    useRenderer(res, OAUTH);
    const body = (req.body && typeof req.body === 'object' && !Array.isArray(req.body) ? req.body : {}) as Record<string, unknown>;
    const out = await run(req, res, body);
    if (out === null) {
      res.status(200).setHeader('Content-Length', '0');
      res.end();
      logRequest(deps.logger, req, res);
      return;
    }
    sendJson(deps, req, res, out.status ?? 200, out.body, undefined, out.json);
  };
  // A read-only endpoint (introspection) skips the request's write tracking: a write it could
  // still make (a metadata-document client saved on first sight) is announced by the kysely
  // plugin itself before the write returns (auth/invalidation.ts AuthWritesPlugin).
  if (readOnly) return answer;
  return (req: Request, res: Response) => announcingWrites(() => deps.authEpoch, res, () => answer(req, res));
}

/** Parameters must each appear at most once (RFC 6749 §3.1, §3.2). */
function singleParams(body: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(body)) {
    if (typeof value !== 'string') throw new OAuthError('invalid_request', `The parameter ${name} must appear once, as a string`);
  }
}

/**
 * Spends a protocol budget of the rate-limit module (shared through Redis with REDIS_URL); over
 * it, the 429 is answered in OAuth's error format with the module's Retry-After and X-RateLimit-*.
 */
async function spendBudget(deps: AppDeps, name: 'oauthRegister', req: Request, res: Response, message: string): Promise<void> {
  try {
    await deps.rateLimits.byBudget(name, req, res);
  } catch (err) {
    if (err instanceof HttpError && err.code === 'RATE_LIMITED') throw new OAuthError('temporarily_unavailable', message, 429, err.headers ?? {});
    throw err;
  }
}

/** The authorization server's protocol endpoints and its metadata. */
export function oauthRoutes(deps: AppDeps, r: Router = Router()): Router {
  r.get('/.well-known/oauth-authorization-server', (req, res) => sendJson(deps, req, res, 200, authorizationServerMetadata(deps)));
  // OpenID discovery also requires subject_types_supported: `sub` is the user's id, the same for every client.
  r.get('/.well-known/openid-configuration', (req, res) => sendJson(deps, req, res, 200, { ...authorizationServerMetadata(deps), subject_types_supported: ['public'] }));

  /**
   * The JWK Set (RFC 7517 §5) the metadata's jwks_uri names, REQUIRED in OpenID discovery: empty,
   * because acct signs nothing a client must verify (opaque access and refresh tokens, no ID
   * tokens, no signed responses). Cacheable: it changes only if acct starts signing.
   */
  r.get('/oauth2/jwks', (req, res) => {
    const json = JSON.stringify({ keys: [] });
    res.status(200).setHeader('Content-Type', 'application/jwk-set+json');
    res.setHeader('Cache-Control', 'public, max-age=86400');
    res.setHeader('Content-Length', Buffer.byteLength(json));
    res.end(json);
    logRequest(deps.logger, req, res);
  });

  r.post('/oauth2/token', endpoint(deps, async (req, _res, body) => {
    singleParams(body);
    const client = await authenticateClient(deps, req, body);
    const grantType = body['grant_type'];
    if (typeof grantType !== 'string') throw new OAuthError('invalid_request', 'grant_type is missing');
    if (!['authorization_code', 'refresh_token', DEVICE_GRANT].includes(grantType)) throw new OAuthError('unsupported_grant_type', `grant_type ${grantType} is not supported`);
    if (!client.grantTypes.includes(grantType)) throw new OAuthError('unauthorized_client', `This client may not use ${grantType}`);
    if (grantType === 'authorization_code') return { body: await exchangeCode(deps, client, body) };
    if (grantType === 'refresh_token') return { body: await refreshTokens(deps, client, body) };
    return { body: await pollDeviceCode(deps, client, body) };
  }));

  r.post('/oauth2/revoke', endpoint(deps, async (req, _res, body) => {
    singleParams(body);
    const client = await authenticateClient(deps, req, body);
    if (typeof body['token'] !== 'string') throw new OAuthError('invalid_request', 'token is missing');
    await revokeToken(deps, client, body['token']);
    return null;
  }));

  r.post('/oauth2/introspect', endpoint(deps, async (req, res, body) => {
    // A lookup, not a use (RFC 7662): resource servers ask on every request, so a successful one logs as a read.
    res.locals[READ_ONLY] = true;
    singleParams(body);
    const remembered = await rememberedIntrospection(deps, req, body);
    if (remembered !== null) return { body: null, json: remembered };
    await authenticateClient(deps, req, body, true);
    if (typeof body['token'] !== 'string') throw new OAuthError('invalid_request', 'token is missing');
    return { body: await introspect(deps, body['token'], req) };
  }, true));

  r.post('/oauth2/register', endpoint(deps, async (req, res, body) => {
    if (!deps.config.oauth.registration) throw new OAuthError('access_denied', 'Dynamic client registration is turned off on this server', 403);
    await spendBudget(deps, 'oauthRegister', req, res, 'Too many registrations from this address (budget oauthRegister.ip); try again later');
    return { status: 201, body: await registerClient(deps, body) };
  }));

  r.post('/oauth2/device_authorization', endpoint(deps, async (req, _res, body) => {
    singleParams(body);
    const client = await authenticateClient(deps, req, body);
    if (!client.grantTypes.includes(DEVICE_GRANT)) throw new OAuthError('unauthorized_client', 'This client may not use the device grant');
    const scopeParam = body['scope'] as string | undefined;
    const scopes = scopeParam === undefined || scopeParam.trim() === '' ? [...DEFAULT_SCOPES] : parseScopeParam(scopeParam);
    if (!scopes) throw new OAuthError('invalid_scope', 'A requested scope is not in the catalogue');
    const resource = (body['resource'] as string | undefined) ?? null;
    if (resource !== null) {
      const problem = resourceProblem(deps.baseUrl(), resource);
      if (problem) throw new OAuthError('invalid_target', problem);
    }
    const now = deps.clock.now();
    const deviceCode = newCode();
    const userCode = newUserCode();
    await deps.db.insertInto('oauth_device_codes').values({
      id: `od_${ulid(now.getTime())}`, device_code_hash: sha256(deviceCode), user_code: userCode, client_id: client.id, scopes: JSON.stringify(scopes), resource,
      interval_seconds: deps.config.oauth.deviceIntervalSeconds, status: 'pending', grant_id: null, created_at: iso(now),
      expires_at: iso(addSeconds(now, deps.config.oauth.deviceCodeSeconds)), last_polled_at: null,
    }).execute();
    const base = deps.baseUrl();
    return {
      body: {
        device_code: deviceCode, user_code: formatUserCode(userCode), verification_uri: `${base}/device`,
        verification_uri_complete: `${base}/device?user_code=${formatUserCode(userCode)}`, expires_in: deps.config.oauth.deviceCodeSeconds, interval: deps.config.oauth.deviceIntervalSeconds,
      },
    };
  }));

  return r;
}
