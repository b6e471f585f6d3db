import type { Request } from 'express';
import type { ErrorCode } from '@acct/shared';
import { HttpError } from '../http-error.js';
import { sendJson, setErrorHeaders, type Renderer } from './renderer.js';

/** JSON-RPC 2.0 error codes (§5.1) and the server-defined range. */
export const JSON_RPC = { PARSE_ERROR: -32700, INVALID_REQUEST: -32600, METHOD_NOT_FOUND: -32601, INVALID_PARAMS: -32602, INTERNAL_ERROR: -32603, SERVER_ERROR: -32000 } as const;

/** An error with its own JSON-RPC code (method not found, invalid params, …). */
export class JsonRpcError extends HttpError {
  constructor(readonly rpcCode: number, message: string, code: ErrorCode = 'BAD_REQUEST') {
    super(code, message);
  }
}

const RPC_CODES: Partial<Record<ErrorCode, number>> = {
  BAD_REQUEST: JSON_RPC.PARSE_ERROR,
  VALIDATION_ERROR: JSON_RPC.INVALID_PARAMS,
  NOT_FOUND: JSON_RPC.METHOD_NOT_FOUND,
  INTERNAL_ERROR: JSON_RPC.INTERNAL_ERROR,
};

/** The id of the request being answered (null when there is none or it is not a valid id). */
function rpcId(req: Request): string | number | null {
  const id = (req.body as { id?: unknown } | undefined)?.id;
  return typeof id === 'string' || typeof id === 'number' ? id : null;
}

/**
 * JSON-RPC over HTTP (MCP's Streamable HTTP): the handler's data is the `result`; an error is an
 * `error` object whose `data` carries our code, with the HTTP status kept (so a 401 keeps its
 * `WWW-Authenticate` challenge and a 403 its scope, as MCP clients expect).
 */
export const JSON_RPC_RENDERER: Renderer = {
  name: 'json-rpc',
  success(req, res, reply) {
    sendJson(res, reply.status, { jsonrpc: '2.0', id: rpcId(req), result: reply.data ?? null });
  },
  error(req, res, err) {
    setErrorHeaders(res, err);
    const code = err instanceof JsonRpcError ? err.rpcCode : (RPC_CODES[err.code] ?? JSON_RPC.SERVER_ERROR);
    const message = err.status >= 500 ? 'Internal error' : err.message;
    sendJson(res, err.status, { jsonrpc: '2.0', id: rpcId(req), error: { code, message, data: { code: err.code, status: err.status, ...(err.errors ? { errors: err.errors } : {}) } } });
  },
};
