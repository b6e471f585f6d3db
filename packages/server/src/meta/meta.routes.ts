import { Router } from 'express';
import { openApiDocument, ROUTES } from '@acct/shared';
import type { AppDeps } from '../deps.js';
import { sendEnvelope } from '../http/render/envelope.js';
import { HttpError } from '../http/http-error.js';
import { freeBytes, MIN_FREE_BYTES, storageDir } from '../db/database.js';
import { pingDatabase } from '../users/users.repository.js';

/** OpenAPI document, health and readiness (the docs pages are the console's: web/docs.tsx). */
export function metaRoutes(deps: AppDeps, r: Router = Router()): Router {
  r.get('/api/openapi.json', (_req, res) => {
    res.json(openApiDocument(ROUTES, deps.baseUrl(), deps.version));
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
