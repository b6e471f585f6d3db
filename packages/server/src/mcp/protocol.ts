import type { Request, Response } from 'express';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema, McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';

/**
 * The MCP SDK's part of `/mcp`, loaded on the first MCP request (mcp.routes.ts): the SDK with zod
 * and Ajv costs ~40% of the server's start-up CPU, and most servers never serve MCP.
 */

/** What the per-request server answers with: the tools list, and a call by tool name (null: no such tool). */
export interface McpHandlers {
  info: { name: string; title: string; version: string };
  instructions: string;
  tools: unknown[];
  call(name: string, args: Record<string, unknown>): Promise<CallToolResult | null>;
}

/**
 * One validator for every per-request server: the SDK would build an Ajv instance per server
 * (~5 ms each, 97% of a server's construction); it validates only elicitation answers, which
 * acct never asks for.
 */
const VALIDATOR = new AjvJsonSchemaValidator();

/** Answers one POST to `/mcp` with a fresh server (stateless Streamable HTTP, JSON answers). */
export async function answerMcp(req: Request, res: Response, handlers: McpHandlers): Promise<void> {
  const server = new Server(handlers.info, {
    capabilities: { tools: { listChanged: false } },
    jsonSchemaValidator: VALIDATOR,
    instructions: handlers.instructions,
  });
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: handlers.tools as never }));
  server.setRequestHandler(CallToolRequestSchema, async (request) => {
    const result = await handlers.call(request.params.name, request.params.arguments ?? {});
    if (!result) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${request.params.name}`);
    return result;
  });
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  res.on('close', () => {
    void transport.close();
    void server.close();
  });
  await server.connect(transport);
  await transport.handleRequest(req, res, req.body);
}
