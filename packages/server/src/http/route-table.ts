import type { NextFunction, Request, RequestHandler, Response, Router } from 'express';

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
type Handle = (req: Request, res: Response, next: NextFunction) => unknown;

interface Entry {
  method: Method;
  order: number;
  path: string;
  /** Lower-cased static segments; null where a `:param` stands. */
  segments: (string | null)[];
  params: string[];
  handle: Handle;
}

const STATIC_SEGMENT = /^[A-Za-z0-9._~-]+$/;
const PARAM_SEGMENT = /^:([A-Za-z_][A-Za-z0-9_]*)$/;

/**
 * Every API route in one table, matched the way Express's router matches them (first
 * registered wins, case-insensitive, one optional trailing slash, parameters decoded) but by a
 * map lookup for fixed paths and a short scan of the routes with as many segments for the
 * others, instead of testing each of ~70 routes' regular expressions in turn per request.
 * Route files register through `router`, which offers the four methods they use.
 */
export class RouteTable {
  private readonly entries: Entry[] = [];
  /** `METHOD /lower/case/path` → the entry that answers it (an earlier pattern may shadow a fixed path). */
  private fixed = new Map<string, Entry>();
  /** `METHOD segments` → the patterned entries of that length, in registration order. */
  private patterned = new Map<string, Entry[]>();
  private built = false;

  /** What route files see: `get`, `post`, `patch` and `delete`, as on an Express Router. */
  readonly router: Router = {
    get: (path: string, ...handles: Handle[]) => this.add('GET', path, handles),
    post: (path: string, ...handles: Handle[]) => this.add('POST', path, handles),
    patch: (path: string, ...handles: Handle[]) => this.add('PATCH', path, handles),
    delete: (path: string, ...handles: Handle[]) => this.add('DELETE', path, handles),
    use: () => {
      throw new Error('the route table takes routes (get, post, patch, delete), not middleware: mount middleware on the app');
    },
  } as unknown as Router;

  private add(method: Method, path: string, handles: Handle[]): Router {
    if (this.built) throw new Error(`route ${method} ${path} added after the table was built`);
    if (typeof path !== 'string' || handles.length !== 1) throw new Error(`route ${method} ${String(path)}: one path and one handler (bind() gives both)`);
    const handle = handles[0]!;
    const parts = path.split('/').slice(1);
    const segments: (string | null)[] = [];
    const params: string[] = [];
    for (const part of parts) {
      const param = PARAM_SEGMENT.exec(part);
      if (param) {
        segments.push(null);
        params.push(param[1]!);
      } else if (STATIC_SEGMENT.test(part)) segments.push(part.toLowerCase());
      else throw new Error(`route path ${path}: a segment must be plain text or one :param`);
    }
    this.entries.push({ method, order: this.entries.length, path, segments, params, handle });
    return this.router;
  }

  private build(): void {
    for (const entry of this.entries) {
      const key = `${entry.method} ${entry.segments.length}`;
      if (entry.params.length === 0) {
        const path = `${entry.method} /${entry.segments.join('/')}`;
        if (!this.fixed.has(path)) {
          // An earlier pattern that matches this path answers it in Express: keep that order.
          const earlier = this.patterned.get(key)?.find((p) => p.order < entry.order && matches(p, entry.segments as string[]));
          this.fixed.set(path, earlier ?? entry);
        }
      } else {
        let list = this.patterned.get(key);
        if (!list) this.patterned.set(key, (list = []));
        list.push(entry);
      }
    }
    this.built = true;
  }

  /** `METHOD path` of every registered route, in order (the route matrices list them from here). */
  list(): { method: Method; path: string }[] {
    return this.entries.map(({ method, path }) => ({ method, path }));
  }

  /** The middleware that answers every registered route (unmatched requests go on to `next`). */
  middleware(): RequestHandler & { routeTable: RouteTable } {
    return Object.assign((req: Request, res: Response, next: NextFunction) => {
      if (!this.built) this.build();
      const found = this.match(req.method, req.url);
      if (!found) return next();
      req.params = found.params;
      try {
        const result = found.entry.handle(req, res, next);
        if (result instanceof Promise) result.catch(next);
      } catch (err) {
        next(err);
      }
    }, { routeTable: this });
  }

  private match(method: string, url: string): { entry: Entry; params: Record<string, string> } | null {
    const m = method === 'HEAD' ? 'GET' : method;
    const q = url.indexOf('?');
    let path = q === -1 ? url : url.slice(0, q);
    if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
    const lower = path.toLowerCase();
    const fixed = this.fixed.get(`${m} ${lower}`);
    if (fixed && fixed.params.length === 0) return { entry: fixed, params: {} };
    const parts = lower.split('/').slice(1);
    const candidates = this.patterned.get(`${m} ${parts.length}`);
    if (!candidates) return null;
    for (const entry of candidates) {
      if (!matches(entry, parts)) continue;
      // Parameter values keep their case: take them from the path as sent.
      const original = path.split('/').slice(1);
      const params: Record<string, string> = {};
      let p = 0;
      for (let i = 0; i < entry.segments.length; i++) {
        if (entry.segments[i] !== null) continue;
        const raw = original[i]!;
        params[entry.params[p++]!] = raw.includes('%') ? decodeURIComponent(raw) : raw;
      }
      return { entry, params };
    }
    return null;
  }
}

function matches(entry: Entry, parts: readonly string[]): boolean {
  if (entry.segments.length !== parts.length) return false;
  for (let i = 0; i < parts.length; i++) {
    const s = entry.segments[i];
    if (s === null ? parts[i] === '' : s !== parts[i]) return false;
  }
  return true;
}
