// Baseline for the /me benchmark: a bare Express 5 route answering a fixed JSON body of the
// same size as acct's /api/user/me response, in its own process on the same Node.
// BENCH_BODY: the JSON to answer (the real /me response, captured by run.mjs).
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const express = createRequire(path.join(root, 'packages/server/package.json'))('express');

const body = JSON.parse(process.env.BENCH_BODY ?? '{}');
const app = express();
app.get('/api/user/me', (_req, res) => {
  res.json(body);
});
const server = app.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening on http://127.0.0.1:${server.address().port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
