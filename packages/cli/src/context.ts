import fs from 'node:fs';
import path from 'node:path';
import { Api } from './lib/api.js';
import { systemClock, type Clock } from './lib/clock.js';
import { Config, configDir } from './lib/config.js';
import type { PersistentJar } from './lib/cookie-jar.js';
import { resolveCredential } from './lib/credentials.js';
import { UsageError } from './lib/errors.js';
import { checkTransport, resolveHost } from './lib/host.js';
import { HttpClient, type Http } from './lib/http.js';
import { systemIO, type IO } from './lib/io.js';
import { FileStore, KeychainStore, type Secrets } from './lib/secrets.js';
import { httpTransport, type Transport } from './lib/transport.js';
import { VERSION } from './version.js';

/** Flags every command accepts (CLI.md "Global"). */
export interface GlobalOptions {
  host?: string;
  json?: boolean;
  verbose?: boolean;
  token?: string;
  retries?: string | number;
  /** `--max-wait SECONDS`: the longest 429 wait sat out (default 60). */
  maxWait?: string | number;
  insecureHttp?: boolean;
}

/** The cookie jar as commands see it (logout clears a host's cookies). */
export interface Jar {
  cookieHeader(url: string): string;
  store(url: string, setCookies: string[]): void;
  clearHost(url: string): void;
  exportHost(url: string): string;
  importHost(serialized: string): void;
  save(): void;
}

/** Everything a command touches, injected (gh's cmdutil.Factory): tests pass fakes. */
export interface Context {
  io: IO;
  http: Http;
  /** Typed calls to the API's routes (lib/api.ts), over `http`. */
  readonly api: Api;
  config: Config;
  secrets: Secrets;
  clock: Clock;
  env: NodeJS.ProcessEnv;
  /** The host in use, as an origin (`https://acct.example.com`). */
  origin: string;
  /** `--json`: machine output. */
  json: boolean;
  jar(): Promise<Jar>;
}

export interface ContextOverrides {
  io?: IO;
  env?: NodeJS.ProcessEnv;
  clock?: Clock;
  transport?: Transport;
  secrets?: Secrets;
}

function parseRetries(value: string | number | undefined): number {
  if (value === undefined) return 3;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 20) throw new UsageError(`--retries must be a whole number from 0 to 20, not ${value}`);
  return n;
}

function parseMaxWait(value: string | number | undefined): number {
  if (value === undefined) return 60_000;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 86_400) throw new UsageError(`--max-wait must be a whole number of seconds from 0 to 86400, not ${value}`);
  return n * 1000;
}

/** Builds the real context: config under XDG, the OS keychain, node:http(s), the system clock. */
export function createContext(globals: GlobalOptions, overrides: ContextOverrides = {}): Context {
  const env = overrides.env ?? process.env;
  const io = overrides.io ?? systemIO(env);
  const clock = overrides.clock ?? systemClock;
  const dir = configDir(env);
  const config = new Config(dir);
  const origin = resolveHost(globals.host, env, config.data.currentHost);
  checkTransport(origin, Boolean(globals.insecureHttp), io.err);
  const secrets = overrides.secrets ?? { keychain: new KeychainStore(), file: new FileStore(dir) };
  if (globals.token)
    io.err('acct: warning: --token puts the token in your shell history and in process lists; prefer ACCT_TOKEN or `acct login --with-token` (stdin)\n');

  // tough-cookie loads only when a request goes without a token (CI with ACCT_TOKEN never pays for it).
  let jar: PersistentJar | null = null;
  const loadJar = async () => (jar ??= (await import('./lib/cookie-jar.js')).PersistentJar.load(dir));
  const http = new HttpClient({
    origin,
    transport: overrides.transport ?? httpTransport,
    clock,
    io,
    verbose: Boolean(globals.verbose),
    retries: parseRetries(globals.retries),
    maxWaitMs: parseMaxWait(globals.maxWait),
    userAgent: `acct-cli/${VERSION} node/${process.versions.node}`,
    resolveCredential: (prefer) =>
      resolveCredential(
        {
          origin,
          flagToken: globals.token,
          env,
          config,
          secrets,
          warn: io.err,
          hasSessionCookie: async () => fs.existsSync(path.join(dir, 'cookies.json')) && (await loadJar()).hasSessionCookie(origin),
          now: () => clock.now(),
          refreshOAuth: async (saved) => {
            const { refreshSaved } = await import('./lib/oauth.js');
            return refreshSaved({ origin, transport: overrides.transport ?? httpTransport, config, secrets, now: () => clock.now(), warn: io.err }, saved);
          },
        },
        prefer,
      ),
    cookies: async () => {
      const j = await loadJar();
      return { header: (url) => j.cookieHeader(url), deviceHeader: (url) => j.deviceCookieHeader(url), store: (url, sc) => j.store(url, sc), save: () => j.save() };
    },
  });
  return {
    io,
    http,
    get api() {
      return new Api(this.http);
    },
    config,
    secrets,
    clock,
    env,
    origin,
    json: Boolean(globals.json),
    jar: loadJar,
  };
}
