import { ROUTES, type RouteContract, type Scope } from '@acct/shared';

/**
 * One MCP tool: the HTTP route it answers for (its contract gives the input schema, the scope,
 * the guards and the handler, run in process by `invokeRoute`), and which of its inputs are the
 * route's path parameters.
 */
export interface ToolDefinition {
  name: string;
  title: string;
  description: string;
  contract: RouteContract;
  /** Path parameters of the contract (`:organizationId`), taken from the tool's arguments. */
  params: readonly string[];
  readOnly: boolean;
  /** Changes nothing that a repeated call would change again (revoking a key twice). */
  idempotent?: boolean;
}

const organizationId = 'organizationId';

/** The tools `/mcp` serves, each the twin of one HTTP route (API.md "Phase 2 contracts"). */
export const TOOLS: readonly ToolDefinition[] = [
  {
    name: 'whoami', title: 'Who am I', contract: ROUTES.getMe, params: [], readOnly: true,
    description: 'The signed-in user: id, email, name, whether the email is verified, and how many organizations they belong to.',
  },
  {
    name: 'list_organizations', title: 'List organizations', contract: ROUTES.listOrganizations, params: [], readOnly: true,
    description: 'The organizations the user belongs to, with their role in each (a pinned token sees only its own organization).',
  },
  {
    name: 'list_projects', title: 'List projects', contract: ROUTES.listProjects, params: [organizationId], readOnly: true,
    description: "An organization's projects, optionally filtered by name and sorted; paginated with `cursor`.",
  },
  {
    name: 'create_project', title: 'Create a project', contract: ROUTES.createProject, params: [organizationId], readOnly: false,
    description: 'Create a project in an organization. Costs credits: an organization without enough credits gets an error saying how many it needs and has.',
  },
  {
    name: 'list_api_keys', title: 'List API keys', contract: ROUTES.listApiKeys, params: [], readOnly: true,
    description: "The user's personal access tokens (never their secrets), optionally by status; paginated with `cursor`.",
  },
  {
    name: 'create_api_key', title: 'Create an API key', contract: ROUTES.createApiKey, params: [], readOnly: false,
    description: 'Mint a personal access token with a name and scopes (optionally pinned to one organization with metadata.organizationId). The secret `key` is shown once, in this result only: give it to the user to store.',
  },
  {
    name: 'revoke_api_key', title: 'Revoke an API key', contract: ROUTES.deleteApiKey, params: [], readOnly: false, idempotent: true,
    description: 'Revoke one of the user\'s API keys by id: instant and permanent; it stays listed as revoked.',
  },
  {
    name: 'list_members', title: 'List members', contract: ROUTES.listMembers, params: [organizationId], readOnly: true,
    description: "An organization's members and their roles; paginated with `cursor`.",
  },
  {
    name: 'list_invitations', title: 'List invitations', contract: ROUTES.listInvitations, params: [organizationId], readOnly: true,
    description: "An organization's invitations, optionally by status; paginated with `cursor`.",
  },
  {
    name: 'get_credits', title: 'Plan and credits', contract: ROUTES.getSubscription, params: [organizationId], readOnly: true,
    description: "An organization's plan, seats and credit balance.",
  },
  {
    name: 'list_credit_ledger', title: 'Credit ledger', contract: ROUTES.listPayments, params: [organizationId], readOnly: true,
    description: "An organization's credit ledger (top-ups and debits), newest first; paginated with `cursor`.",
  },
];

export const TOOLS_BY_NAME = new Map(TOOLS.map((t) => [t.name, t]));

/** The scopes the tools need, reads first: what the protected-resource metadata lists. */
export const TOOL_SCOPES: readonly Scope[] = [...new Set(TOOLS.flatMap((t) => (t.contract.scope ? [t.contract.scope] : [])))];

/**
 * What a client is asked for when it has no token (the 401's `scope`): reading only. A write
 * tool answers 403 `insufficient_scope` naming its scope, and the client steps up for it.
 */
export const DEFAULT_SCOPES: readonly Scope[] = [...new Set(TOOLS.filter((t) => t.readOnly).flatMap((t) => (t.contract.scope ? [t.contract.scope] : [])))];

type JsonSchema = Record<string, unknown> & { properties?: Record<string, unknown>; required?: string[] };

/** Strips TypeBox's symbol keys and copies the plain JSON Schema. */
function plain(schema: unknown): JsonSchema {
  return JSON.parse(JSON.stringify(schema)) as JsonSchema;
}

/**
 * The tool's input: one JSON Schema object with the route's path parameters, query and body
 * properties side by side, from the shared contract (the schema the HTTP route validates).
 */
export function inputSchema(tool: ToolDefinition): JsonSchema {
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  for (const p of tool.params) {
    properties[p] = { type: 'string', minLength: 1, maxLength: 100, description: p === organizationId ? 'The organization (see list_organizations)' : p };
    required.push(p);
  }
  for (const part of [tool.contract.query, tool.contract.body]) {
    if (!part) continue;
    const s = plain(part);
    Object.assign(properties, s.properties ?? {});
    required.push(...(s.required ?? []));
  }
  return { type: 'object', properties, ...(required.length ? { required } : {}), additionalProperties: false };
}

/** Splits a tool's arguments into the route's path parameters, query and body. */
export function splitArguments(tool: ToolDefinition, args: Record<string, unknown>): {
  params: Record<string, string>; query: Record<string, unknown>; body: Record<string, unknown>; unknown: string[];
} {
  const params: Record<string, string> = {};
  const query: Record<string, unknown> = {};
  const body: Record<string, unknown> = {};
  const unknown: string[] = [];
  const queryKeys = new Set(Object.keys(plain(tool.contract.query ?? {}).properties ?? {}));
  const bodyKeys = new Set(Object.keys(plain(tool.contract.body ?? {}).properties ?? {}));
  for (const [k, v] of Object.entries(args)) {
    if (tool.params.includes(k)) params[k] = typeof v === 'string' ? v : String(v);
    else if (queryKeys.has(k)) query[k] = v;
    else if (bodyKeys.has(k)) body[k] = v;
    else unknown.push(k);
  }
  return { params, query, body, unknown };
}
