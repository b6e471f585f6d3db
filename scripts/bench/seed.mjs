// Fills acct's SQLite file with filler accounts, straight through better-sqlite3 in one
// transaction (the schema of packages/server/src/db/migrations/0001_initial.ts): each user gets an
// organization, an owner membership and one cookie session; the keys are spread over the users.
// Filler secret_hash values are well-formed Argon2id strings that are never verified.
import { randomBytes } from 'node:crypto';
import { serverRequire } from './lib.mjs';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function base62(length) {
  const bytes = randomBytes(length);
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[bytes[i] % 62];
  return out;
}

function b64(bytes) {
  return randomBytes(bytes).toString('base64').replace(/=+$/, '');
}

/** Returns counts and how long the seeding took. The server may be running (WAL). */
export function seedFiller(dbFile, { users = 10_000, keys = 100_000 } = {}) {
  const Database = serverRequire('better-sqlite3');
  const db = new Database(dbFile);
  db.pragma('busy_timeout = 10000');
  db.pragma('synchronous = NORMAL');
  const t0 = performance.now();
  const now = new Date().toISOString();
  const passwordHash = `$argon2id$v=19$m=19456,t=2,p=1$${b64(16)}$${b64(32)}`;
  const insertUser = db.prepare(
    `INSERT INTO users (id, email, full_name, handle, password_hash, role, is_active, email_verified_at, last_login_at, failed_sign_ins, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, 'user', 1, ?, NULL, 0, ?, ?)`,
  );
  const insertOrg = db.prepare(
    `INSERT INTO organizations (id, name, slug, plan, seats, included_credits, credit_balance, created_at, updated_at)
     VALUES (?, ?, ?, 'free', 1, 100, 100, ?, ?)`,
  );
  const insertMember = db.prepare(`INSERT INTO memberships (organization_id, user_id, role, created_at) VALUES (?, ?, 'owner', ?)`);
  const insertSession = db.prepare(
    `INSERT INTO sessions (id, user_id, token_hash, kind, ip, user_agent, created_at, last_seen_at, expires_at, absolute_expires_at, revoked_at)
     VALUES (?, ?, ?, 'cookie', '127.0.0.1', 'bench-filler', ?, ?, ?, ?, NULL)`,
  );
  const insertKey = db.prepare(
    `INSERT INTO api_keys (id, lookup_id, user_id, name, start, secret_hash, scopes, organization_id, enabled, expires_at, revoked_at, last_used_at, last_used_ip, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, '["user:read"]', NULL, 1, NULL, NULL, NULL, NULL, ?, ?)`,
  );
  const expires = new Date(Date.now() + 7 * 86400_000).toISOString();
  const userIds = [];
  db.transaction(() => {
    for (let i = 0; i < users; i++) {
      const id = `0BENCH${base62(20)}`;
      userIds.push(id);
      const tag = `${i}${base62(6).toLowerCase()}`;
      insertUser.run(id, `filler-${tag}@bench.invalid`, `Filler ${i}`, `filler${tag}`, passwordHash, now, now, now);
      const orgId = `org_0BENCH${base62(20)}`;
      insertOrg.run(orgId, `Filler ${i}'s organization`, `filler-${tag}`, now, now);
      insertMember.run(orgId, id, now);
      insertSession.run(`0BENCH${base62(20)}`, id, randomBytes(32).toString('hex'), now, now, expires, expires);
    }
    for (let i = 0; i < keys; i++) {
      const lookup = base62(12);
      const hash = `$argon2id$v=19$m=19456,t=2,p=1$${b64(16)}$${b64(32)}`;
      insertKey.run(`ak_0BENCH${base62(20)}`, lookup, userIds[i % users], `filler key ${i}`, `ba_${lookup.slice(0, 4)}`, hash, now, now);
    }
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  const counts = {
    users: db.prepare('SELECT count(*) AS n FROM users').get().n,
    apiKeys: db.prepare('SELECT count(*) AS n FROM api_keys').get().n,
    sessions: db.prepare('SELECT count(*) AS n FROM sessions').get().n,
  };
  db.close();
  return { ...counts, seconds: (performance.now() - t0) / 1000 };
}
