import { Router } from 'express';
import { openApiDocument, ROUTES, SCOPES, type RouteContract } from '@acct/shared';
import type { AppDeps } from '../deps.js';
import { sendEnvelope } from '../http/render/envelope.js';
import { HttpError } from '../http/http-error.js';
import { freeBytes, MIN_FREE_BYTES, storageDir } from '../db/database.js';
import { escape } from '../auth/pages.js';
import { pingDatabase } from '../users/users.repository.js';

/** The API reference as one static page (no scripts: the CSP allows none). */
function docsPage(routes: Record<string, RouteContract>): string {
  const rows = Object.values(routes)
    .map((r) => `<tr><td><code>${r.method}</code></td><td><code>${escape(r.path)}</code></td><td>${r.scope ? `<code>${r.scope}</code>` : r.auth === 'public' ? 'public' : 'session'}</td><td>${escape(r.summary)}</td></tr>`)
    .join('');
  const scopes = Object.entries(SCOPES).map(([n, d]) => `<tr><td><code>${n}</code></td><td>${escape(d)}</td></tr>`).join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>acct API</title></head><body><h1>acct API</h1><p>Machine-readable: <a href="/api/openapi.json">/api/openapi.json</a> (OpenAPI 3.1).</p><h2>Routes</h2><table><thead><tr><th>Method</th><th>Path</th><th>Scope</th><th>What it does</th></tr></thead><tbody>${rows}</tbody></table><h2>Scopes</h2><table><tbody>${scopes}</tbody></table></body></html>`;
}

/** OpenAPI document, docs page, health and readiness. */
export function metaRoutes(deps: AppDeps, r: Router = Router()): Router {
  r.get('/api/openapi.json', (_req, res) => {
    res.json(openApiDocument(ROUTES, deps.baseUrl(), deps.version));
  });
  r.get('/docs', (_req, res) => {
    res.type('html').send(docsPage(ROUTES));
  });
  r.get('/healthz', (_req, res) => {
    sendEnvelope(res, { status: 200, code: 'OK', message: 'alive', data: { status: 'ok', version: deps.version } });
  });
  const storage = storageDir(deps.config);
  let lastLogged = 0;
  r.get('/readyz', async (_req, res) => {
    await pingDatabase(deps.db);
    // A full disk still reads, but every write fails: not ready (the path goes to the log only).
    const free = storage === null ? null : await freeBytes(storage);
    if (free !== null && free < MIN_FREE_BYTES) {
      if (Date.now() - lastLogged > 60_000) {
        lastLogged = Date.now();
        deps.logger.error({ storage, freeBytes: free }, `disk full: ${free} bytes free in ${storage}; writes fail until space is freed`);
      }
      throw new HttpError('UNAVAILABLE', 'Not ready: the disk holding the database is full');
    }
    sendEnvelope(res, { status: 200, code: 'OK', message: 'ready', data: { status: 'ready' } });
  });
  return r;
}
