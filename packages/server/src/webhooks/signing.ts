import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import type { AppDeps } from '../deps.js';
import type { DB } from '../db/database.js';
import { iso } from '../time/clock.js';

/** A new signing secret in Standard Webhooks form: `whsec_` + base64 of 32 random bytes. */
export function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/**
 * The `webhook-signature` header: one `v1,…` signature per secret, space-separated, so a receiver
 * holding either the old or the new secret verifies during a rotation's overlap.
 */
export function signatureHeader(secrets: string[], messageId: string, timestamp: Date, body: string): string {
  return secrets.map((s) => new Webhook(s).sign(messageId, timestamp, body)).join(' ');
}

const KEY_NAME = 'webhook-secrets';
const keys = new WeakMap<DB, Promise<Buffer>>();

/**
 * The key that encrypts signing secrets at rest: from ACCT_WEBHOOK_SECRETS_KEY, else a random key
 * made once and kept in server_keys (shared by every instance of the database). Loaded once per process.
 */
export function secretsKey(deps: Pick<AppDeps, 'db' | 'config' | 'clock'>): Promise<Buffer> {
  let key = keys.get(deps.db);
  if (!key) {
    key = loadKey(deps);
    keys.set(deps.db, key);
    key.catch(() => keys.delete(deps.db));
  }
  return key;
}

async function loadKey(deps: Pick<AppDeps, 'db' | 'config' | 'clock'>): Promise<Buffer> {
  if (deps.config.webhookSecretsKey) return createHash('sha256').update(`acct-webhook-secrets:${deps.config.webhookSecretsKey}`).digest();
  await deps.db
    .insertInto('server_keys').values({ name: KEY_NAME, secret: randomBytes(32).toString('base64url'), created_at: iso(deps.clock.now()) })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const row = await deps.db.selectFrom('server_keys').select('secret').where('name', '=', KEY_NAME).executeTakeFirstOrThrow();
  return createHash('sha256').update(`acct-webhook-secrets:${row.secret}`).digest();
}

/** AES-256-GCM: `v1.` + base64url(iv | tag | ciphertext). */
export function encryptSecret(key: Buffer, secret: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const data = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return `v1.${Buffer.concat([iv, cipher.getAuthTag(), data]).toString('base64url')}`;
}

export function decryptSecret(key: Buffer, sealed: string): string {
  const raw = Buffer.from(sealed.slice(3), 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
}
