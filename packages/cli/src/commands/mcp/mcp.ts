import type { Context } from '../../context.js';
import { EXIT } from '../../lib/errors.js';
import { describeSource } from '../../lib/credentials.js';

/** JSON-RPC's server-error range: the code a forwarded request gets when /mcp refused it. */
const UPSTREAM_ERROR = -32001;

interface RpcMessage { jsonrpc: '2.0'; id?: string | number; method?: string }

/**
 * `acct mcp`: a stdio MCP server for desktop clients that launch a command (Claude Desktop,
 * Cursor, VS Code). Every message read on stdin is forwarded to the host's `/mcp` (Streamable
 * HTTP) with the credential the CLI would send (ACCT_TOKEN, or the saved token of `acct login
 * --with-token`), and every answer is written back on stdout: the client gets acct's tools with
 * no token pasted into its config. Logs go to stderr only (stdout is the protocol).
 */
export async function run(ctx: Context): Promise<number> {
  const credential = await ctx.http.credential('auto');
  if (!('token' in credential)) {
    ctx.io.err(`acct mcp: no token for ${ctx.origin}: /mcp takes an access token, not the session cookie\nhint: run \`acct login --with-token\` with a personal access token, or set ACCT_TOKEN\n`);
    return EXIT.UNAUTHORIZED;
  }
  const token = credential.token;
  if (token.startsWith('bo_')) {
    // `acct login --web` tokens are issued for the REST API; /mcp takes only tokens issued for it (RFC 8707).
    ctx.io.err(`acct mcp: the token from \`acct login --web\` is issued for the API, and ${ctx.origin}/mcp accepts only tokens issued for /mcp\nhint: save a personal access token (\`acct keys create --name mcp --scope user:read … --save\`) or set ACCT_TOKEN to one; or let your MCP client sign in with OAuth itself at ${ctx.origin}/mcp\n`);
    return EXIT.UNAUTHORIZED;
  }
  const [{ StdioServerTransport }, { StreamableHTTPClientTransport, StreamableHTTPError }] = await Promise.all([
    import('@modelcontextprotocol/sdk/server/stdio.js'),
    import('@modelcontextprotocol/sdk/client/streamableHttp.js'),
  ]);
  const endpoint = new URL('/mcp', ctx.origin);
  const upstream = new StreamableHTTPClientTransport(endpoint, {
    requestInit: { headers: { authorization: `Bearer ${token}`, 'user-agent': `acct-cli mcp` } },
  });
  const local = new StdioServerTransport(process.stdin, process.stdout);
  if (ctx.io.stderrIsTTY || ctx.env['ACCT_MCP_VERBOSE']) ctx.io.err(`acct mcp: forwarding stdio to ${endpoint.href} with the ${describeSource(credential)}\n`);

  let failed = false;
  // Requests still being answered when stdin ends (a piped script) are answered before exiting.
  const inFlight = new Set<Promise<void>>();
  const done = new Promise<void>((resolve) => {
    local.onclose = () => resolve();
    process.stdin.once('end', () => resolve());
  });
  upstream.onmessage = (message) => void local.send(message);
  upstream.onerror = (err) => ctx.io.err(`acct mcp: ${err.message}\n`);
  local.onerror = (err) => ctx.io.err(`acct mcp: ${err.message}\n`);
  local.onmessage = (message) => {
    const sending = upstream.send(message).catch((err: unknown) => {
      const rpc = message as RpcMessage;
      const status = err instanceof StreamableHTTPError ? err.code : undefined;
      const why = status === 401
        ? `acct refused the credential (${describeSource(credential)}): run \`acct login\` again or set ACCT_TOKEN`
        : status === 403
          ? `the token lacks a scope this tool needs: ${(err as Error).message}`
          : `could not reach ${endpoint.href}: ${(err as Error).message}`;
      if (status === 401) failed = true;
      ctx.io.err(`acct mcp: ${why}\n`);
      // A request gets an answer (the client would wait for ever); a notification has none to get.
      if (rpc.id !== undefined) return local.send({ jsonrpc: '2.0', id: rpc.id, error: { code: UPSTREAM_ERROR, message: why, data: { status: status ?? null } } });
    });
    inFlight.add(sending);
    void sending.finally(() => inFlight.delete(sending));
  };
  await upstream.start();
  await local.start();
  await done;
  while (inFlight.size) await Promise.allSettled([...inFlight]);
  await upstream.close().catch(() => {});
  return failed ? EXIT.UNAUTHORIZED : EXIT.OK;
}
