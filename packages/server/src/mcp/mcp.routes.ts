import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { AppDeps } from '../deps.js';
import { authenticate, presentedCredential } from '../auth/credentials/index.js';
import { actorOf, type Principal } from '../auth/principal.js';
import { requireScope } from '../auth/guards.js';
import { invokeRoute, type Invocation } from '../http/bind.js';
import { HttpError } from '../http/http-error.js';
import { JSON_RPC, JSON_RPC_RENDERER } from '../http/render/json-rpc.js';
import { sendJson, useRenderer } from '../http/render/renderer.js';
import { logRequest } from '../http/access-log.js';
import { requestIp } from '../http/client-ip.js';
import { VERSION } from '../version.js';
import { record } from '../audit/audit.js';
import { DEFAULT_SCOPES, inputSchema, splitArguments, TOOL_SCOPES, TOOLS, TOOLS_BY_NAME, type ToolDefinition } from './tools.js';

export const MCP_PATH = '/mcp';
const METADATA_PATH = '/.well-known/oauth-protected-resource';

/** The resource identifier clients use: `ACCT_BASE_URL/mcp`, byte for byte (RFC 8707, RFC 9728 §3.3). */
export function mcpResource(deps: AppDeps): string {
  return `${deps.baseUrl()}${MCP_PATH}`;
}

/** Paths a browser-based MCP client (the MCP Inspector) reads cross-origin. */
const CORS_PATHS = new Set([
  MCP_PATH, METADATA_PATH, `${METADATA_PATH}${MCP_PATH}`,
  // The authorization server's discovery and token endpoints (oauth/): a browser client needs them too.
  '/.well-known/oauth-authorization-server', '/.well-known/openid-configuration', '/oauth2/token', '/oauth2/register',
]);

/**
 * CORS for the MCP endpoints and OAuth discovery (answered before CSRF and the general OPTIONS
 * refusal): any origin, because these take bearer tokens only, never cookies, so a page on another
 * origin gains nothing it could not do with its own token. Also sets `/mcp`'s JSON-RPC renderer
 * early, so a body that is not JSON is answered as a JSON-RPC parse error.
 */
export function mcpCors(deps: AppDeps): RequestHandler {
  return function mcpCorsMiddleware(req, res, next) {
    if (!CORS_PATHS.has(req.path)) return next();
    if (req.path === MCP_PATH) {
      useRenderer(res, JSON_RPC_RENDERER);
      const rebinding = rebindingRefusal(deps, req);
      if (rebinding) return next(new HttpError('FORBIDDEN', rebinding));
    }
    if (req.headers.origin !== undefined) {
      res.setHeader('Access-Control-Allow-Origin', '*');
      res.setHeader('Access-Control-Expose-Headers', 'WWW-Authenticate, Mcp-Session-Id, Mcp-Protocol-Version');
    }
    if (req.method !== 'OPTIONS') return next();
    res.setHeader('Access-Control-Allow-Methods', req.path === MCP_PATH ? 'GET, POST, DELETE, OPTIONS' : 'GET, POST, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, X-Api-Key, Mcp-Protocol-Version, Mcp-Session-Id, Last-Event-ID');
    res.setHeader('Access-Control-Max-Age', '600');
    res.statusCode = 204;
    res.end();
  };
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

function hostnameOf(value: string): string | null {
  try {
    return new URL(value.includes('://') ? value : `http://${value}`).hostname.toLowerCase();
  } catch {
    return null;
  }
}

/**
 * DNS rebinding (MCP Streamable HTTP, "Security warning"): a server reached on a loopback address
 * answers only requests that name a loopback host, and only from loopback origins, so a page whose
 * name was rebound to 127.0.0.1 cannot talk to it. A public server's own name is not rebindable
 * this way; there the token is the protection (no cookie is ever read at /mcp).
 */
function rebindingRefusal(deps: AppDeps, req: Request): string | null {
  const base = hostnameOf(deps.baseUrl());
  if (!base || !LOOPBACK.has(base)) return null;
  const host = req.headers.host === undefined ? null : hostnameOf(req.headers.host);
  if (host === null || !LOOPBACK.has(host)) return 'The Host header does not name this local server (DNS rebinding protection)';
  const origin = req.headers.origin;
  if (origin !== undefined && (origin === 'null' || !LOOPBACK.has(hostnameOf(origin) ?? ''))) return 'Requests from this Origin are refused by a local MCP server (DNS rebinding protection)';
  return null;
}

function metadataUrl(deps: AppDeps): string {
  return `${deps.baseUrl()}${METADATA_PATH}${MCP_PATH}`;
}

function quoted(text: string): string {
  return text.replace(/["\\]/g, '');
}

/**
 * RFC 6750 §3 / RFC 9728 §5.1: the challenge that sends a client to the metadata and says what to
 * ask for; with an error, in the order of the MCP authorization spec's examples (error, scope,
 * resource_metadata, error_description). Parsers read the parameters by name.
 */
function challenge(deps: AppDeps, scopes: readonly string[], error?: { code: string; description: string }): string {
  if (!error) return `Bearer resource_metadata="${metadataUrl(deps)}", scope="${scopes.join(' ')}"`;
  return `Bearer error="${error.code}", scope="${scopes.join(' ')}", resource_metadata="${metadataUrl(deps)}", error_description="${quoted(error.description)}"`;
}

/**
 * The scopes a 401 asks for: reading, plus the scope of the tool being called when it needs more,
 * so a client that lost or never had a token is authorized for the call it is making.
 */
function challengeScopes(body: unknown): readonly string[] {
  const extra = new Set<string>();
  for (const m of (Array.isArray(body) ? body : [body]) as RpcMessage[]) {
    if (!m || typeof m !== 'object' || m.method !== 'tools/call' || typeof m.params?.name !== 'string') continue;
    const scope = TOOLS_BY_NAME.get(m.params.name)?.contract.scope;
    if (scope && !DEFAULT_SCOPES.includes(scope)) extra.add(scope);
  }
  return extra.size ? [...DEFAULT_SCOPES, ...extra] : DEFAULT_SCOPES;
}

/** The credential kinds `/mcp` accepts (API.md): PATs, and OAuth access tokens issued for it. */
const ACCEPTED_KINDS = new Set(['pat', 'oauth']);

/**
 * Who calls `/mcp`. Cookies are never read here (a browser page must not act with the user's
 * session), a session's bearer token is not accepted (it is the CLI's own), and a token issued
 * for another audience is refused (RFC 8707; the MCP authorization spec's token audience binding).
 */
async function mcpPrincipal(deps: AppDeps, req: Request): Promise<Principal> {
  const scopes = challengeScopes(req.body);
  const presented = presentedCredential(req);
  if (!presented || presented.carrier === 'cookie') {
    throw new HttpError('UNAUTHORIZED', 'Authentication required: send an OAuth access token for this resource, or a personal access token', undefined, {
      'WWW-Authenticate': challenge(deps, scopes),
    });
  }
  let principal: Principal;
  try {
    principal = await authenticate(deps, req);
  } catch (err) {
    if (err instanceof HttpError && err.status === 401)
      throw new HttpError(err.code, err.message, undefined, { 'WWW-Authenticate': challenge(deps, scopes, { code: 'invalid_token', description: err.message }) });
    throw err;
  }
  const refuse = (message: string) =>
    new HttpError('INVALID_TOKEN', message, undefined, { 'WWW-Authenticate': challenge(deps, scopes, { code: 'invalid_token', description: message }) });
  if (!ACCEPTED_KINDS.has(principal.credential.kind)) throw refuse('This credential is not accepted at /mcp: use an OAuth access token or a personal access token');
  // Tokens bound to an audience must be bound to this one; PATs carry none and act wherever the API does.
  if ((principal.audience !== null || principal.clientId !== null) && principal.audience !== mcpResource(deps))
    throw refuse(`The access token was not issued for ${mcpResource(deps)}`);
  return principal;
}

interface RpcMessage { jsonrpc?: unknown; id?: unknown; method?: unknown; params?: { name?: unknown; arguments?: unknown } }

/**
 * A `tools/call` whose token lacks the tool's scope is refused at the HTTP level, before the
 * protocol, with 403 and `error="insufficient_scope"` naming the scope (MCP authorization,
 * "Scope challenge handling"), so an OAuth client can step up and retry. The challenge asks for
 * what the token has plus what the tool needs, so the stepped-up token loses nothing.
 */
function scopeCheck(deps: AppDeps, principal: Principal, body: unknown): { tool: string; scope: string; status: number; headers: Record<string, string>; body: unknown } | null {
  const messages = (Array.isArray(body) ? body : [body]) as RpcMessage[];
  for (const m of messages) {
    if (!m || typeof m !== 'object' || m.method !== 'tools/call' || typeof m.params?.name !== 'string') continue;
    const tool = TOOLS_BY_NAME.get(m.params.name);
    if (!tool?.contract.scope) continue;
    try {
      requireScope(tool.contract.scope, tool.contract.orScopes)({ deps, principal } as Parameters<ReturnType<typeof requireScope>>[0]);
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      const held = principal.scopes === 'all' ? [] : [...principal.scopes];
      const wanted = [...new Set([...held, tool.contract.scope])];
      const description = `The tool ${tool.name} needs the scope ${tool.contract.scope}`;
      return {
        tool: tool.name, scope: tool.contract.scope,
        status: 403,
        headers: { 'WWW-Authenticate': challenge(deps, wanted, { code: 'insufficient_scope', description }), 'X-Accepted-Scopes': tool.contract.scope },
        body: {
          jsonrpc: '2.0', id: typeof m.id === 'string' || typeof m.id === 'number' ? m.id : null,
          error: { code: JSON_RPC.SERVER_ERROR, message: description, data: { code: 'INSUFFICIENT_SCOPE', status: 403, scope: tool.contract.scope } },
        },
      };
    }
  }
  return null;
}

/** The audit action of a tool call (docs/webhooks.md "The audit log"; not a webhook event). */
export const MCP_TOOL_CALLED = 'mcp.tool_called';

/**
 * One audit row per `tools/call`, success or failure: who (the principal bind() would resolve,
 * and the OAuth client when the credential is an OAuth token), which tool, in which organization
 * when the tool acted in one, and the refusal's code. Never the arguments or the result (a
 * minted key's secret is in the result only). Written outside any transaction: the tool's route
 * writes its own row with its change; this one records the call itself, refused or not.
 */
async function auditToolCall(deps: AppDeps, req: Request, principal: Principal, call: {
  tool: string | null; error: string | null; organizationId?: string | null; scope?: string;
}): Promise<void> {
  try {
    await record(deps.db, {
      req, action: MCP_TOOL_CALLED, outcome: call.error ? 'failure' : 'success', organizationId: call.organizationId ?? null,
      target: call.tool ? { type: 'mcp_tool', id: call.tool } : null,
      detail: {
        ...(call.tool ? { tool: call.tool } : {}), clientId: principal.clientId,
        ...(call.error ? { error: call.error } : {}), ...(call.scope ? { scope: call.scope } : {}),
      },
    });
  } catch (err) {
    // The call's answer stands; the missing row is loud in the logs.
    deps.logger.error({ err, requestId: req.res?.locals['requestId'], tool: call.tool }, 'mcp tool call: the audit row could not be written');
  }
}

/** A tool's answer: the route's data as structured content (arrays under `data`), and as text for clients that read only text. */
function toolResult(data: unknown, pagination: unknown): CallToolResult {
  const structured = { data, ...(pagination ? { pagination } : {}) } as Record<string, unknown>;
  return { content: [{ type: 'text', text: JSON.stringify(structured) }], structuredContent: structured };
}

/** A refusal the model should read and act on (402 credits, 403 role, 404, validation): a tool error, not a protocol one. */
function toolError(err: HttpError): CallToolResult {
  const error = { code: err.code, status: err.status, message: err.message, ...(err.errors ? { errors: err.errors } : {}) };
  const hint = err.code === 'INSUFFICIENT_CREDITS' ? ' (402 Payment Required: top up the organization\'s credits)' : '';
  return { isError: true, content: [{ type: 'text', text: `${err.code} (${err.status}): ${err.message}${hint}` }], structuredContent: { error } };
}

/** The tools list never changes: built once. */
const TOOL_LIST = TOOLS.map((t) => ({
  name: t.name, title: t.title, description: `${t.description} Needs the scope ${[t.contract.scope, ...(t.contract.orScopes ?? [])].join(' or ')}.`,
  inputSchema: inputSchema(t) as { type: 'object' },
  annotations: { title: t.title, readOnlyHint: t.readOnly, destructiveHint: t.name === 'revoke_api_key', idempotentHint: t.readOnly || t.idempotent === true, openWorldHint: false },
}));

const INSTRUCTIONS = 'Manage the signed-in user\'s acct account: organizations, projects, members, invitations, credits and personal API keys. Organization-scoped tools take an organizationId from list_organizations.';

/** The SDK's part (mcp/protocol.ts), imported on the first MCP request: most servers never serve one. */
let protocol: Promise<typeof import('./protocol.js')> | undefined;
const loadProtocol = () => (protocol ??= import('./protocol.js'));

/** One MCP server per request (stateless Streamable HTTP): its tools act as this principal. */
async function answer(deps: AppDeps, req: Request, res: Response, principal: Principal): Promise<void> {
  const { answerMcp } = await loadProtocol();
  await answerMcp(req, res, {
    info: { name: 'acct', title: 'acct accounts, API keys and projects', version: VERSION },
    instructions: INSTRUCTIONS,
    tools: TOOL_LIST,
    async call(name, args) {
      const tool = TOOLS_BY_NAME.get(name);
      if (!tool) {
        // The name is the caller's text: the row says only that the tool was unknown.
        await auditToolCall(deps, req, principal, { tool: null, error: 'UNKNOWN_TOOL' });
        return null;
      }
      return callTool(deps, req, res, principal, tool, args);
    },
  });
}

async function callTool(deps: AppDeps, req: Request, res: Response, principal: Principal, tool: ToolDefinition, args: Record<string, unknown>): Promise<CallToolResult> {
  const started = process.hrtime.bigint();
  let outcome = 'OK';
  const resolved: NonNullable<Invocation['resolved']> = { membership: null };
  try {
    const { params, query, body, unknown } = splitArguments(tool, args);
    if (unknown.length) throw new HttpError('VALIDATION_ERROR', unknown.map((k) => `${k} is not a known field`).join('; '), unknown.map((k) => ({ field: k, message: `${k} is not a known field` })));
    const missing = tool.params.filter((p) => typeof args[p] !== 'string' || args[p] === '');
    if (missing.length) throw new HttpError('VALIDATION_ERROR', missing.map((p) => `${p} is required (a string)`).join('; '), missing.map((p) => ({ field: p, message: 'is required' })));
    const reply = await invokeRoute(deps, tool.contract, { req, res, principal, params, query, body, resolved });
    return toolResult(reply.data, reply.pagination);
  } catch (err) {
    if (!(err instanceof HttpError) || err.status >= 500) {
      outcome = 'INTERNAL_ERROR';
      throw err;
    }
    outcome = err.code;
    return toolError(err);
  } finally {
    // The organization is the one the tenant guard found the caller a member of (a call naming a
    // foreign organization is refused before that, and writes nothing into that organization's
    // log), else the one a pinned credential is confined to.
    await auditToolCall(deps, req, principal, { tool: tool.name, error: outcome === 'OK' ? null : outcome, organizationId: resolved.membership?.organizationId ?? principal.organizationId });
    // Every tool call is logged with who called through which client; never its arguments or result (a minted key's secret).
    deps.logger.info({
      requestId: res.locals['requestId'], tool: tool.name, outcome, clientId: principal.clientId, actor: actorOf(principal), ip: requestIp(req),
      ms: Number(process.hrtime.bigint() - started) / 1e6,
    }, 'mcp tool call');
  }
}

/** `/mcp` (Streamable HTTP, stateless: JSON answers, no session) and its RFC 9728 metadata. */
export function mcpRoutes(deps: AppDeps, r: Router = Router()): Router {
  const metadata: RequestHandler = (_req, res) => {
    sendJson(res, 200, {
      resource: mcpResource(deps),
      authorization_servers: [deps.baseUrl()],
      scopes_supported: TOOL_SCOPES,
      bearer_methods_supported: ['header'],
      resource_name: 'acct MCP server',
      resource_documentation: `${deps.baseUrl()}/api/docs`,
    });
  };
  r.get(`${METADATA_PATH}${MCP_PATH}`, metadata);
  r.get(METADATA_PATH, metadata);

  r.all(MCP_PATH, async (req, res) => {
    useRenderer(res, JSON_RPC_RENDERER);
    const principal = await mcpPrincipal(deps, req);
    res.locals['principal'] = principal;
    if (req.method === 'POST') {
      const refused = scopeCheck(deps, principal, req.body);
      if (refused) {
        await auditToolCall(deps, req, principal, { tool: refused.tool, error: 'INSUFFICIENT_SCOPE', scope: refused.scope, organizationId: principal.organizationId });
        for (const [k, v] of Object.entries(refused.headers)) res.setHeader(k, v);
        sendJson(res, refused.status, refused.body);
        logRequest(deps.logger, req, res);
        return;
      }
      await answer(deps, req, res, principal);
      logRequest(deps.logger, req, res);
      return;
    }
    // Stateless: no server-initiated stream (GET) and no session to end (DELETE).
    res.setHeader('Allow', 'POST, OPTIONS');
    sendJson(res, 405, {
      jsonrpc: '2.0', id: null,
      error: { code: JSON_RPC.SERVER_ERROR, message: `${req.method} is not supported at /mcp: this server answers POST requests with JSON (stateless Streamable HTTP)` },
    });
    logRequest(deps.logger, req, res);
  });
  return r;
}
