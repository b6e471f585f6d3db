import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import nodemailer from 'nodemailer';
import { createClient } from 'redis';
import { loadConfig, type Config } from '../config.js';
import { dialectOf, openDatabase, pendingMigrations } from '../db/database.js';
import { auditEmails } from '../db/migrations/0004_email_identity.js';

interface Check {
  name: string;
  /** `warn` is worth knowing but does not fail the doctor. */
  level: 'ok' | 'warn' | 'fail';
  detail: string;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms).unref())]);
}

/** Hides the password of a URL before it is printed. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}

async function checkDatabase(config: Config): Promise<Check[]> {
  const dialect = dialectOf(config);
  const where = dialect === 'postgres' ? redactUrl(config.databaseUrl!) : path.join(config.dataDir, 'acct.db');
  let db: Awaited<ReturnType<typeof openDatabase>> | undefined;
  try {
    db = await openDatabase(config);
    await withTimeout(sql`select 1`.execute(db), 5000, 'the database');
    const pending = await pendingMigrations(db);
    return [
      { name: 'database', level: 'ok', detail: `${dialect} at ${where} answers` },
      { name: 'migrations', level: pending.length ? 'warn' : 'ok', detail: pending.length ? `pending: ${pending.join(', ')} (run acct-server migrate, or start the server)` : 'up to date' },
      ...(pending.length ? [] : [await checkEmails(db)]),
    ];
  } catch (err) {
    return [{ name: 'database', level: 'fail', detail: `${dialect} at ${where}: ${(err as Error).message}` }];
  } finally {
    await db?.destroy().catch(() => {});
  }
}

/** Look-alike accounts (one normalised address) and addresses the rules refuse: reported, never merged. */
async function checkEmails(db: Awaited<ReturnType<typeof openDatabase>>): Promise<Check> {
  const { collisions, refused } = await auditEmails(db);
  if (!collisions.length && !refused.length) return { name: 'emails', level: 'ok', detail: 'one account per normalised address' };
  const groups = collisions.map((c) => c.userIds.join(' = ')).join('; ');
  const bad = refused.map((r) => `${r.userId} (${r.reason})`).join('; ');
  return {
    name: 'emails', level: 'warn',
    detail: [collisions.length ? `look-alike accounts, not merged: ${groups}` : '', refused.length ? `addresses the rules refuse: ${bad}` : ''].filter(Boolean).join('; '),
  };
}

async function checkSmtp(config: Config): Promise<Check> {
  if (!config.smtpUrl) return { name: 'smtp', level: 'warn', detail: `SMTP_URL unset: mail goes to ${path.join(config.dataDir, 'outbox')}` };
  const transport = nodemailer.createTransport(config.smtpUrl);
  try {
    await withTimeout(transport.verify(), 5000, 'the SMTP server');
    return { name: 'smtp', level: 'ok', detail: `${redactUrl(config.smtpUrl)} accepts connections` };
  } catch (err) {
    return { name: 'smtp', level: 'fail', detail: `${redactUrl(config.smtpUrl)}: ${(err as Error).message}` };
  } finally {
    transport.close();
  }
}

async function checkRedis(config: Config): Promise<Check> {
  if (!config.redisUrl) return { name: 'redis', level: 'warn', detail: 'REDIS_URL unset: rate-limit counters are per instance' };
  const client = createClient({ url: config.redisUrl, socket: { connectTimeout: 3000, reconnectStrategy: false } });
  client.on('error', () => {});
  try {
    await withTimeout(client.connect(), 4000, 'Redis');
    const pong = await withTimeout(client.ping(), 3000, 'Redis');
    return { name: 'redis', level: pong === 'PONG' ? 'ok' : 'fail', detail: `${redactUrl(config.redisUrl)} answers ${pong}` };
  } catch (err) {
    return { name: 'redis', level: 'fail', detail: `${redactUrl(config.redisUrl)}: ${(err as Error).message}` };
  } finally {
    await client.quit().catch(() => {});
  }
}

function checkDataDir(config: Config): Check {
  try {
    fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    fs.accessSync(config.dataDir, fs.constants.W_OK);
    const mode = fs.statSync(config.dataDir).mode & 0o777;
    const open = (mode & 0o077) !== 0;
    return { name: 'data dir', level: open ? 'warn' : 'ok', detail: `${config.dataDir} writable${open ? `, but mode ${mode.toString(8)}: make it 700` : ''}` };
  } catch (err) {
    return { name: 'data dir', level: 'fail', detail: `${config.dataDir}: ${(err as Error).message}` };
  }
}

/** The Node runtime and the flags it was started with (scripts/server and the binary pass packages/server/node-flags). */
function checkRuntime(): Check {
  const flags = process.execArgv.filter((f) => f.startsWith('--'));
  return flags.length
    ? { name: 'runtime', level: 'ok', detail: `node ${process.version}, ${flags.join(' ')}` }
    : { name: 'runtime', level: 'warn', detail: `node ${process.version} without the memory flags of packages/server/node-flags: start with scripts/server (or the binary) for ~25 MB less resident memory` };
}

/** `acct-server doctor`: checks configuration, data dir, database, SMTP and Redis; exit 1 on a failure. */
export async function doctorCommand(out: NodeJS.WritableStream): Promise<number> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    out.write(`✗ config      ${(err as Error).message}\n`);
    return 1;
  }
  const checks: Check[] = [
    { name: 'config', level: 'ok', detail: `base URL ${config.baseUrl || `http://${config.host}:${config.port}`}${config.baseUrl.startsWith('https://') ? '' : ' (plain HTTP: put TLS in front in production)'}` },
    checkRuntime(),
    checkDataDir(config),
    ...(await checkDatabase(config)),
    await checkSmtp(config),
    await checkRedis(config),
  ];
  const mark = { ok: '✓', warn: '!', fail: '✗' } as const;
  for (const c of checks) out.write(`${mark[c.level]} ${c.name.padEnd(11)} ${c.detail}\n`);
  return checks.some((c) => c.level === 'fail') ? 1 : 0;
}
