import type { Context } from '../../context.js';
import { describeSource } from '../../lib/credentials.js';
import { CliError, EXIT } from '../../lib/errors.js';
import { accessTokenFor, oauthPost } from '../../lib/oauth.js';

/** Refresh the /mcp token this long before it expires. */
const REFRESH_MARGIN_MS = 60_000;

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
  const endpoint = new URL('/mcp', ctx.origin);
  let token = credential.token;
  // `acct login --web`: the grant's access tokens are for the API; /mcp takes only tokens issued
  // for it (RFC 8707), so one is obtained through the refresh token, and again before it expires.
  const saved = 'saved' in credential && credential.saved.oauth ? credential.saved : null;
  let mcpToken: { token: string; expiresAt: number } | null = null;
  const transport = async (req: Parameters<typeof oauthPost>[0] extends (r: infer R) => unknown ? R : never) => {
    const res = await ctx.http.request({ method: req.method, path: req.url, headers: req.headers, body: req.body as string, credential: 'none' });
    return { status: res.status, statusText: '', headers: res.headers, body: res.text };
  };
  let refreshing: Promise<string> | null = null;
  async function mcpAccess(): Promise<string> {
    if (!saved) return token;
    if (mcpToken && mcpToken.expiresAt - ctx.clock.now().getTime() > REFRESH_MARGIN_MS) return mcpToken.token;
    refreshing ??= (async () => {
      const got = await accessTokenFor({ origin: ctx.origin, transport, secrets: ctx.secrets, config: ctx.config, now: () => ctx.clock.now() }, saved, endpoint.href);
      if ('error' in got) throw new CliError(`the web sign-in cannot be used at ${endpoint.href}: ${got.error}`, EXIT.UNAUTHORIZED, 'run `acct login --web` again (a sign-in from before acct mcp supported it is bound to the API only), or save a personal access token');
      mcpToken = got;
      return got.token;
    })().finally(() => { refreshing = null; });
    return refreshing;
  }
  if (saved) {
    try {
      token = await mcpAccess();
    } catch (err) {
      if (!(err instanceof CliError)) throw err;
      ctx.io.err(`acct mcp: ${err.message}\nhint: ${err.hint ?? ''}\n`);
      return EXIT.UNAUTHORIZED;
    }
  } else if (token.startsWith('bo_')) {
    ctx.io.err(`acct mcp: an OAuth access token given in ${describeSource(credential)} is issued for one resource; /mcp takes only tokens issued for ${endpoint.href}\nhint: use \`acct login --web\` (acct mcp then gets a token for /mcp itself) or a personal access token\n`);
    return EXIT.UNAUTHORIZED;
  }
  const [{ StdioServerTransport }, { StreamableHTTPClientTransport, StreamableHTTPError }] = await Promise.all([
    import('@modelcontextprotocol/sdk/server/stdio.js'),
    import('@modelcontextprotocol/sdk/client/streamableHttp.js'),
  ]);
  // Each request carries the current token: a web sign-in's /mcp token is refreshed silently.
  const upstream = new StreamableHTTPClientTransport(endpoint, {
    requestInit: { headers: { 'user-agent': `acct-cli mcp` } },
    fetch: async (url, init) => {
      const headers = new Headers(init?.headers);
      headers.set('authorization', `Bearer ${await mcpAccess()}`);
      return fetch(url, { ...init, headers });
    },
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
