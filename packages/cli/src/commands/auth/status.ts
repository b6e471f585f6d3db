import { ROUTES } from '@acct/shared/routes';
import type { DataOf, users } from '@acct/shared';
import type { Context } from '../../context.js';
import { describeSource, type Credential } from '../../lib/credentials.js';
import { apiErrorFrom, header } from '../../lib/http.js';
import { EXIT } from '../../lib/errors.js';
import { formatDate, printJson } from '../../lib/output.js';

type User = DataOf<typeof users.getMe>;

export interface Status {
  host: string;
  /** `reason`: why this credential is the one the next command uses. */
  credential: { source: Credential['source']; description: string; token: string | null; reason: string };
  user: { id: string; email: string; handle: string } | null;
  /** `null` when unknown; a session holds every scope. */
  scopes: string[] | 'all' | null;
  expiresAt: string | null;
  /** False when the expiry could not be found out (then `expiresAt` is null but may not mean "never"). */
  expiryKnown: boolean;
  ok: boolean;
  error?: { status: number; code: string; message: string };
  /** The OAuth grant behind a web sign-in (`acct login --web`): refreshed silently. */
  grant: { clientId: string; refreshedAutomatically: true } | null;
  /** Every account signed in on this host (`acct auth switch` changes the active one). */
  accounts: { email: string; active: boolean; tokens: number; session: boolean }[];
}

/** Works out who the current credential is and what it may do. */
export async function gatherStatus(ctx: Context): Promise<Status> {
  const credential = await ctx.http.credential();
  const { maskToken } = await import('@acct/shared');
  const status: Status = {
    host: ctx.origin,
    credential: { source: credential.source, description: describeSource(credential), token: 'token' in credential ? maskToken(credential.token) : null, reason: '' },
    user: null,
    scopes: credential.source === 'cookie' ? 'all' : null,
    expiresAt: null,
    expiryKnown: false,
    ok: false,
    grant: 'saved' in credential && credential.saved.oauth ? { clientId: credential.saved.oauth.clientId, refreshedAutomatically: true } : null,
    accounts: [],
  };
  const host = ctx.config.data.hosts[ctx.origin];
  const activeId = host?.user?.id;
  status.accounts = (host?.accounts ?? []).map((a) => ({
    email: a.email,
    active: a.id === activeId,
    tokens: (host?.tokens ?? []).filter((t) => t.userId === a.id).length,
    session: a.id === activeId ? false : Boolean(a.stashedSession),
  }));
  const session = credential.source === 'flag' || credential.source === 'env' ? null : await ctx.http.credential('session');
  const mine = status.accounts.find((a) => a.active);
  if (mine) mine.session = session?.source === 'cookie';
  status.credential.reason = whyThisCredential(ctx, credential, session?.source === 'cookie');
  if (credential.source === 'none') return status;
  if ((credential.source === 'keychain' || credential.source === 'file') && credential.saved.expiresAt !== undefined) {
    status.scopes = credential.saved.scopes ?? null;
    status.expiresAt = credential.saved.expiresAt;
    status.expiryKnown = true;
  } else if (credential.source === 'keychain' || credential.source === 'file') status.scopes = credential.saved.scopes ?? null;
  const res = await ctx.api.request(ROUTES.getMe);
  const tokenScopes = header(res, 'x-token-scopes');
  if (tokenScopes !== undefined) status.scopes = tokenScopes.split(/,\s*/).filter(Boolean);
  if (res.status === 200) {
    const user = (res.json() as { data: User }).data;
    status.user = { id: user.id, email: user.email, handle: user.handle };
    status.ok = true;
  } else {
    const err = apiErrorFrom(res);
    status.error = { status: err.status, code: err.code, message: err.serverMessage };
    // A token without user:read is still a working credential.
    status.ok = res.status === 403;
  }
  if ('token' in credential && status.ok && !status.expiryKnown) {
    const expiry = await tokenExpiry(ctx, credential.token, session?.source === 'cookie');
    if (expiry) Object.assign(status, { expiresAt: expiry.expiresAt, expiryKnown: true });
  }
  if (credential.source === 'cookie' && status.ok) {
    const session = await ctx.api.request(ROUTES.getSession, { credential: 'session' });
    if (session.status === 200) Object.assign(status, { expiresAt: (session.json() as { data: { session: { expiresAt: string } } }).data.session.expiresAt, expiryKnown: true });
  }
  return status;
}

/** Why `credential` is the one requests carry (CLI.md precedence: --token > ACCT_TOKEN > saved token > session). */
export function whyThisCredential(ctx: Context, credential: Credential, signedIn: boolean): string {
  switch (credential.source) {
    case 'flag':
      return '--token was given: it goes before ACCT_TOKEN, saved tokens and the session';
    case 'env':
      return 'ACCT_TOKEN is set: it goes before saved tokens and the session';
    case 'keychain':
    case 'file':
      return `a token is saved for ${ctx.origin}: it goes before the session cookie${signedIn ? ' (you are also signed in: `acct keys` commands use the session)' : ''}`;
    case 'cookie':
      return `no --token, no ACCT_TOKEN and no saved token: the session from \`acct login\` is used`;
    case 'none':
      return `no --token, no ACCT_TOKEN, no saved token and no session for ${ctx.origin}`;
  }
}

/**
 * A token's expiry from the key list: read with the token itself (api-keys:read), else with the
 * signed-in session (the owner's list); null when neither may read it.
 */
async function tokenExpiry(ctx: Context, token: string, signedIn: boolean): Promise<{ expiresAt: string | null } | null> {
  for (const credential of ['auto', ...(signedIn ? (['session'] as const) : [])] as const) {
    const res = await ctx.api.request(ROUTES.listApiKeys, { query: { limit: 100 }, credential });
    if (res.status !== 200) continue;
    const keys = (res.json() as { data?: unknown } | undefined)?.data;
    if (!Array.isArray(keys)) continue;
    const found = (keys as { start: string; expiresAt: string | null }[]).find((k) => k.start && token.startsWith(k.start));
    if (found) return { expiresAt: found.expiresAt };
  }
  return null;
}

/** Exit code of a status: 0 signed in, 4 not (or the credential was refused). */
export function statusExitCode(status: Status): number {
  if (status.ok) return EXIT.OK;
  if (status.error && status.error.status !== 401) return EXIT.FAILURE;
  return EXIT.UNAUTHORIZED;
}

/** `acct auth status`: host, credential in use, user, scopes, expiry; the secret masked. */
export async function run(ctx: Context): Promise<number> {
  const status = await gatherStatus(ctx);
  const { io } = ctx;
  if (ctx.json) {
    printJson(io, status);
    return statusExitCode(status);
  }
  const lines = [`${status.host}`];
  if (status.credential.source === 'none') {
    lines.push('  ✗ Not signed in. Run `acct login`, or set ACCT_TOKEN.');
  } else {
    const mark = status.ok ? '✓' : '✗';
    const who = status.user ? `${status.user.email} (${status.user.handle})` : status.error ? `${status.error.code}: ${status.error.message}` : 'unknown';
    lines.push(`  ${mark} ${status.ok && status.user ? 'Signed in as' : 'Credential'}: ${who}`);
    lines.push(`  - Credential: ${status.credential.description}${status.credential.token ? ` ${status.credential.token}` : ''}`);
    lines.push(`  - Scopes: ${status.scopes === 'all' ? 'all (session)' : status.scopes ? status.scopes.join(', ') || 'none' : 'unknown'}`);
    if (status.grant) lines.push(`  - Grant: OAuth client ${status.grant.clientId} (\`acct login --web\`); the access token is refreshed automatically`);
    lines.push(`  - Expires: ${status.expiryKnown ? formatDate(status.expiresAt, 'never') : 'unknown (the token may not read its key record: api-keys:read, or sign in)'}`);
  }
  lines.push(`  - Why this credential: ${status.credential.reason}`);
  if (status.accounts.length > 1 || (status.accounts.length === 1 && !status.accounts[0]!.active)) {
    lines.push('  - Accounts on this host (`acct auth switch --user EMAIL` changes the active one):');
    for (const a of status.accounts)
      lines.push(`      ${a.active ? '*' : ' '} ${a.email}${a.active ? ' (active)' : ''}: ${[a.session ? 'session' : '', a.tokens ? `${a.tokens} saved token${a.tokens > 1 ? 's' : ''}` : ''].filter(Boolean).join(', ') || 'signed out'}`);
  }
  io.err(`${lines.join('\n')}\n`);
  return statusExitCode(status);
}
