import { UsageError } from './errors.js';

export const DEFAULT_HOST = 'http://localhost:3000';

/** `--host` > `ACCT_HOST` > the config's current host > http://localhost:3000, as an origin. */
export function resolveHost(flag: string | undefined, env: NodeJS.ProcessEnv, current: string | undefined): string {
  const raw = flag || env['ACCT_HOST'] || current || DEFAULT_HOST;
  return normalizeOrigin(raw);
}

/**
 * `example.com` → `https://example.com`, but a loopback address without a scheme
 * (`127.0.0.1:3411`, `localhost:3000`) → `http://…`, where a local server listens; refuses
 * paths, queries and credentials in the URL.
 */
export function normalizeOrigin(raw: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `${schemeFor(raw)}://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new UsageError(`invalid host: ${raw}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`invalid host ${raw}: only http and https are supported`);
  if (url.username || url.password) throw new UsageError('do not put credentials in the host URL');
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) throw new UsageError(`the host must be an origin such as https://acct.example.com, not ${raw}`);
  return url.origin;
}

function schemeFor(raw: string): 'http' | 'https' {
  try {
    return isLoopback(new URL(`http://${raw}`).hostname) ? 'http' : 'https';
  } catch {
    return 'https';
  }
}

/** Loopback addresses, where plain HTTP never leaves the machine. */
export function isLoopback(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * Plain HTTP would send passwords and tokens in clear: refused except to loopback, unless the
 * user passes --insecure-http, which warns every time.
 */
export function checkTransport(origin: string, insecureHttp: boolean, warn: (text: string) => void): void {
  const url = new URL(origin);
  if (url.protocol === 'https:' || isLoopback(url.hostname)) return;
  if (!insecureHttp)
    throw new UsageError(`refusing plain HTTP to ${origin}: credentials would cross the network unencrypted`, 'use https://, or pass --insecure-http if you really mean it');
  warn(`acct: warning: --insecure-http: credentials for ${origin} travel unencrypted\n`);
}
