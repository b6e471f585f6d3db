// How much CPU reading a small urlencoded form costs an Express 5 route (an introspection's body),
// with body-parser against acct's readSmallForm (middleware/json-body.ts), measured against the
// same route answering without reading its body. Run after `pnpm run build`:
//   node scripts/bench/body-read.mjs [turns]
// Prints CPU µs per request of the server process per mode (median of the turns, which differ
// by ±20% on a shared machine); the differences to `ignore` are what reading costs. The server
// is this file, started with --serve.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, cannon, cpuSecondsOf, serverRequire, startListening } from './lib.mjs';

const ANSWER = JSON.stringify({ active: true, scope: 'user:read', client_id: 'cli_01JXYZABCDEFGHJKMNPQRSTVWX', sub: 'usr_01JXYZABCDEFGHJKMNPQRSTVWX', token_type: 'Bearer', exp: 1764783720, iat: 1764780120 });

if (process.argv[2] === '--serve') {
  const express = serverRequire('express');
  const { readSmallForm } = await import(pathToFileURL(path.join(ROOT, 'packages/server/dist/middleware/json-body.js')).href);
  const send = (res) => {
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.setHeader('Content-Length', Buffer.byteLength(ANSWER));
    res.end(ANSWER);
  };
  const check = (req, res, next) => (req.body?.token ? send(res) : next(new Error('no token read')));
  const app = express();
  app.post('/ignore', (_req, res) => send(res));
  app.post('/body-parser', express.urlencoded({ limit: 102400, extended: false, parameterLimit: 10 }), check);
  app.post('/acct', (req, res, next) => {
    if (!readSmallForm(req, 102400, 10, (err) => (err ? next(err) : check(req, res, next)))) next(new Error('fast path refused'));
  });
  const server = app.listen(0, '127.0.0.1', () => process.stdout.write(`listening on http://127.0.0.1:${server.address().port}\n`));
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
} else {
  const turns = Number(process.argv[2] ?? 3);
  const server = await startListening('body-read', [path.join(ROOT, 'scripts/bench/body-read.mjs'), '--serve'], { PATH: process.env.PATH });
  const options = {
    method: 'POST',
    connections: 10,
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`cli_01JXYZABCDEFGHJKMNPQRSTVWX:${'x'.repeat(43)}`).toString('base64')}` },
    body: new URLSearchParams({ token: `bo_${'A'.repeat(40)}`, token_type_hint: 'access_token' }).toString(),
  };
  const results = {};
  for (let turn = 0; turn < turns; turn++) {
    for (const mode of ['ignore', 'body-parser', 'acct']) {
      const url = `${server.url}/${mode}`;
      await cannon({ ...options, url, duration: 1 });
      const before = cpuSecondsOf(server.child.pid);
      const run = await cannon({ ...options, url, duration: 4 });
      (results[mode] ??= []).push(((cpuSecondsOf(server.child.pid) - before) / run.total) * 1e6);
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  for (const [mode, us] of Object.entries(results)) {
    console.log(`${mode.padEnd(12)} median ${median(us).toFixed(0)} µs (turns: ${us.map((u) => u.toFixed(0)).join(', ')})`);
  }
  await server.stop();
}
