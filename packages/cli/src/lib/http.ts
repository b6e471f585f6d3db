import { ApiError, CliError, EXIT, UsageError } from './errors.js';
import type { Credential, CredentialPreference } from './credentials.js';
import type { IO } from './io.js';
import type { RawRequest, RawResponse, Transport } from './transport.js';
import type { Clock } from './clock.js';

export interface HttpRequest {
  method: string;
  /** A path on the host (`/api/user/me`), or an absolute URL on the same origin (pagination links). */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  headers?: Record<string, string>;
  /** JSON-encoded, with `content-type: application/json`. */
  json?: unknown;
  /** Sent as-is. */
  body?: string | Buffer;
  credential?: CredentialPreference;
}

export interface HttpResponse {
  status: number;
  statusText: string;
  headers: Record<string, string | string[]>;
  text: string;
  url: string;
  credential: Credential;
  /** The parsed body, or undefined when it is not JSON. */
  json(): unknown;
}

/** The envelope's fields the CLI reads (API.md). */
export interface EnvelopeLike<T> {
  success?: boolean;
  code?: string;
  message?: string;
  data: T;
  meta?: { requestId?: string; pagination?: { nextCursor?: string | null; hasMore?: boolean } };
}

/** What commands use to talk to the server; faked in unit tests. */
export interface Http {
  readonly origin: string;
  request(req: HttpRequest): Promise<HttpResponse>;
  /** A request whose non-2xx answer throws ApiError (so it maps to the right exit code). */
  api<T>(req: HttpRequest): Promise<{ data: T; envelope: EnvelopeLike<T>; response: HttpResponse }>;
  /** The credential requests would carry. */
  credential(prefer?: CredentialPreference): Promise<Credential>;
}

/** The cookie side of the client; the jar is loaded only when a request actually uses it. */
export interface CookieAccess {
  header(url: string): string;
  /** The device cookies alone, sent when a request carries no credential (sign-in). */
  deviceHeader?(url: string): string;
  store(url: string, setCookies: string[]): void;
  save(): void;
}

export interface HttpClientOptions {
  origin: string;
  transport: Transport;
  clock: Clock;
  io: IO;
  verbose: boolean;
  retries: number;
  /** The longest 429 wait sat out before retrying; a longer one exits 6 at once, saying when to retry. */
  maxWaitMs: number;
  userAgent: string;
  resolveCredential: (prefer: CredentialPreference) => Promise<Credential>;
  cookies: () => Promise<CookieAccess>;
}

const MAX_BACKOFF_MS = 60_000;

/** The header value as one string (first of repeated ones). */
export function header(res: { headers: Record<string, string | string[]> }, name: string): string | undefined {
  const v = res.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** Wait before retry `attempt` (0-based): Retry-After if given (seconds or HTTP date), else 1 s doubling, capped at 60 s. */
export function retryDelayMs(retryAfter: string | undefined, attempt: number, now: Date): number {
  if (retryAfter !== undefined && retryAfter.trim() !== '') {
    const trimmed = retryAfter.trim();
    if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
    const date = Date.parse(trimmed);
    if (!Number.isNaN(date)) return Math.max(0, date - now.getTime());
  }
  return Math.min(1000 * 2 ** attempt, MAX_BACKOFF_MS);
}

/** An ApiError from a non-2xx response and its envelope. */
export function apiErrorFrom(res: HttpResponse): ApiError {
  const body = res.json() as Partial<EnvelopeLike<unknown>> | undefined;
  const code = typeof body?.code === 'string' ? body.code : `HTTP_${res.status}`;
  const message = typeof body?.message === 'string' ? body.message : res.statusText || 'request failed';
  return new ApiError(res.status, code, message, header(res, 'x-accepted-scopes') ?? null, header(res, 'x-request-id') ?? null);
}

/** The HTTP client: credentials, cookie jar, 429 retries and the --verbose trace in one place. */
export class HttpClient implements Http {
  readonly origin: string;

  constructor(private readonly opts: HttpClientOptions) {
    this.origin = opts.origin;
  }

  credential(prefer: CredentialPreference = 'auto'): Promise<Credential> {
    return this.opts.resolveCredential(prefer);
  }

  private url(path: string, query: HttpRequest['query']): string {
    let url: URL;
    if (/^https?:\/\//i.test(path)) {
      url = new URL(path);
      // Never send a credential to another origin, even when a Link header points there.
      if (url.origin !== this.origin) throw new UsageError(`refusing to send a request for ${this.origin} to ${url.origin}`);
    } else {
      url = new URL(path.startsWith('/') ? path : `/${path}`, this.origin);
    }
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    return url.toString();
  }

  async request(req: HttpRequest): Promise<HttpResponse> {
    const url = this.url(req.path, req.query);
    const credential = await this.opts.resolveCredential(req.credential ?? 'auto');
    const headers: Record<string, string> = { 'user-agent': this.opts.userAgent, accept: 'application/json' };
    let body = req.body;
    if (req.json !== undefined) {
      body = JSON.stringify(req.json);
      headers['content-type'] = 'application/json';
    }
    for (const [k, v] of Object.entries(req.headers ?? {})) headers[k.toLowerCase()] = v;
    let cookies: CookieAccess | null = null;
    if (credential.source === 'cookie' || credential.source === 'none') {
      // Sign-in needs the jar to keep the cookie it sets, even though it sends none.
      cookies = await this.opts.cookies();
      const cookie = credential.source === 'cookie' ? cookies.header(url) : (cookies.deviceHeader?.(url) ?? '');
      if (cookie) headers['cookie'] = cookie;
    } else if (headers['authorization'] === undefined && headers['x-api-key'] === undefined) {
      // An explicit -H Authorization / X-Api-Key is the user's choice and goes as given.
      headers['authorization'] = `Bearer ${credential.token}`;
    }
    const raw: RawRequest = { url, method: req.method.toUpperCase(), headers, ...(body !== undefined ? { body } : {}) };

    const trace = this.opts.verbose ? await import('./trace.js') : null;
    for (let attempt = 0; ; attempt++) {
      if (trace) trace.traceRequest(raw, this.opts.io.err);
      const res = await this.opts.transport(raw);
      if (trace) trace.traceResponse(res, this.opts.io.err);
      if (cookies) {
        const set = res.headers['set-cookie'];
        if (set) cookies.store(url, Array.isArray(set) ? set : [set]);
        cookies.save();
      }
      if (res.status === 429 && attempt < this.opts.retries) {
        const ms = retryDelayMs(header(res, 'retry-after'), attempt, this.opts.clock.now());
        if (ms > this.opts.maxWaitMs) throw rateLimitedFor(wrap(res, url, credential), ms, this.opts.clock.now(), this.opts.maxWaitMs);
        await this.waitBeforeRetry(res, attempt);
        continue;
      }
      return wrap(res, url, credential);
    }
  }

  private async waitBeforeRetry(res: RawResponse, attempt: number): Promise<void> {
    const { io, clock, retries } = this.opts;
    const ms = retryDelayMs(header(res, 'retry-after'), attempt, clock.now());
    const what = `rate limited (429); retry ${attempt + 1} of ${retries}`;
    if (!io.stderrIsTTY) {
      io.err(`acct: ${what} in ${Math.ceil(ms / 1000)}s\n`);
      await clock.sleep(ms);
      return;
    }
    // A countdown a person can watch, rewritten in place.
    let left = ms;
    while (left > 0) {
      io.err(`\racct: ${what} in ${Math.ceil(left / 1000)}s… `);
      const step = Math.min(1000, left);
      await clock.sleep(step);
      left -= step;
    }
    io.err('\r\x1b[K');
  }

  async api<T>(req: HttpRequest) {
    const response = await this.request(req);
    if (response.status < 200 || response.status >= 300) throw apiErrorFrom(response);
    const envelope = response.json() as EnvelopeLike<T> | undefined;
    if (!envelope || typeof envelope !== 'object') throw new ApiError(response.status, 'BAD_RESPONSE', 'the server did not answer with JSON');
    return { data: envelope.data, envelope, response };
  }
}

/** `07:42`: when a wait of `ms` from `now` ends, in local time, rounded up to the minute. */
export function clockTimeAfter(now: Date, ms: number): string {
  const at = new Date(Math.ceil((now.getTime() + ms) / 60_000) * 60_000);
  return `${String(at.getHours()).padStart(2, '0')}:${String(at.getMinutes()).padStart(2, '0')}`;
}

/** `35 min`, `2 h 5 min`, `90 s`: a wait as people read it. */
export function describeWait(ms: number): string {
  if (ms < 120_000) return `${Math.ceil(ms / 1000)} s`;
  const min = Math.ceil(ms / 60_000);
  return min < 120 ? `${min} min` : `${Math.floor(min / 60)} h${min % 60 ? ` ${min % 60} min` : ''}`;
}

/** A 429 whose Retry-After is longer than --max-wait: exit 6 now, saying when to come back. */
function rateLimitedFor(res: HttpResponse, ms: number, now: Date, maxWaitMs: number): CliError {
  const api = apiErrorFrom(res);
  return new CliError(
    `${api.message}; limited until ${clockTimeAfter(now, ms)}, in ${describeWait(ms)}`,
    EXIT.RATE_LIMITED,
    `retry after ${clockTimeAfter(now, ms)}; waits up to --max-wait (now ${Math.round(maxWaitMs / 1000)} s) are sat out automatically`,
  );
}

function wrap(res: RawResponse, url: string, credential: Credential): HttpResponse {
  let parsed: { value: unknown } | null = null;
  return {
    status: res.status,
    statusText: res.statusText,
    headers: res.headers,
    text: res.body,
    url,
    credential,
    json() {
      if (!parsed) {
        try {
          parsed = { value: JSON.parse(res.body) };
        } catch {
          parsed = { value: undefined };
        }
      }
      return parsed.value;
    },
  };
}
