import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import type { DB } from '../db/database.js';
import type { AppDeps } from '../deps.js';
import { iso } from '../time/clock.js';

export const SESSION_COOKIE = 'acct_session';
export const SECURE_SESSION_COOKIE = '__Host-acct_session';

/** Reads one cookie from the Cookie header without a parser dependency. */
export function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) {
      try {
        return decodeURIComponent(part.slice(i + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

function secure(deps: AppDeps, req: Request): boolean {
  return req.secure || deps.baseUrl().startsWith('https://');
}

/** HttpOnly, Path=/, SameSite=Lax, no Domain; `__Host-` and Secure whenever served over HTTPS. */
export function setSessionCookie(deps: AppDeps, req: Request, res: Response, token: string, maxAgeSeconds: number | null): void {
  const isSecure = secure(deps, req);
  const name = isSecure ? SECURE_SESSION_COOKIE : SESSION_COOKIE;
  const parts = [`${name}=${token}`, 'Path=/', 'HttpOnly', 'SameSite=Lax'];
  if (isSecure) parts.push('Secure');
  if (maxAgeSeconds !== null) parts.push(`Max-Age=${maxAgeSeconds}`);
  res.append('Set-Cookie', parts.join('; '));
}

export function clearSessionCookie(deps: AppDeps, req: Request, res: Response): void {
  const isSecure = secure(deps, req);
  res.append('Set-Cookie', `${isSecure ? SECURE_SESSION_COOKIE : SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax${isSecure ? '; Secure' : ''}; Max-Age=0`);
}

/*
 * Device cookies (SECURITY.md "Failure throttling"; OWASP "Slow Down Online Guessing Attacks
 * with Device Cookies"): a client that signed in as an account before carries a signed cookie
 * naming that account and a random device id. Such a client is throttled only by its own
 * failures, so a flood of wrong passwords from elsewhere never locks the owner out.
 *
 * Name `acct_device_<tag>` (`__Host-` and Secure over HTTPS), one per account a client signed
 * in as; tag = HMAC of the user id, so the name does not reveal it. Value
 * `<deviceId>.<issuedAt s>.<HMAC-SHA-256 of user, device, issuedAt>`. Not a credential: it
 * authenticates nothing, it only tells the lockout whose failures count.
 */
const DEVICE_COOKIE = 'acct_device_';
const SECURE_DEVICE_COOKIE = '__Host-acct_device_';
/** Browsers cap cookie lifetimes at 400 days; the cookie is renewed at every sign-in. */
export const DEVICE_COOKIE_SECONDS = 400 * 86400;
const DEVICE_KEY_NAME = 'device-cookie';

/** A client that signed in as the account before. */
export interface KnownDevice {
  id: string;
}

const keys = new WeakMap<DB, Promise<Buffer>>();

/**
 * The key that signs device cookies: from ACCT_DEVICE_COOKIE_SECRET, else a random key made by
 * the first instance that needs it and kept in the database (server_keys), so instances that
 * share a database accept each other's cookies. Loaded once per process.
 */
export function deviceKey(deps: Pick<AppDeps, 'db' | 'config' | 'clock'>): Promise<Buffer> {
  let key = keys.get(deps.db);
  if (!key) {
    key = loadDeviceKey(deps);
    keys.set(deps.db, key);
    key.catch(() => keys.delete(deps.db));
  }
  return key;
}

async function loadDeviceKey(deps: Pick<AppDeps, 'db' | 'config' | 'clock'>): Promise<Buffer> {
  if (deps.config.deviceCookieSecret) return createHash('sha256').update(`acct-device-cookie:${deps.config.deviceCookieSecret}`).digest();
  await deps.db
    .insertInto('server_keys').values({ name: DEVICE_KEY_NAME, secret: randomBytes(32).toString('base64url'), created_at: iso(deps.clock.now()) })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const row = await deps.db.selectFrom('server_keys').select('secret').where('name', '=', DEVICE_KEY_NAME).executeTakeFirstOrThrow();
  return createHash('sha256').update(`acct-device-cookie:${row.secret}`).digest();
}

function mac(key: Buffer, text: string): Buffer {
  return createHmac('sha256', key).update(text).digest();
}

function cookieTag(key: Buffer, userId: string): string {
  return mac(key, `name|${userId}`).toString('base64url').slice(0, 16);
}

function deviceMac(key: Buffer, userId: string, deviceId: string, issuedAt: number): Buffer {
  return mac(key, `device|${userId}|${deviceId}|${issuedAt}`);
}

/**
 * The device a request's cookies show for `userId`, or null: a cookie of this account whose
 * signature checks (constant-time) and whose age is within the cookie's lifetime.
 */
export async function knownDevice(deps: AppDeps, req: Request, userId: string): Promise<KnownDevice | null> {
  if (!req.headers.cookie?.includes(DEVICE_COOKIE)) return null;
  const key = await deviceKey(deps);
  const tag = cookieTag(key, userId);
  const value = readCookie(req, SECURE_DEVICE_COOKIE + tag) ?? readCookie(req, DEVICE_COOKIE + tag);
  const match = value ? /^([A-Za-z0-9_-]{22})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(value) : null;
  if (!match) return null;
  const [, id, issued, signature] = match as unknown as [string, string, string, string];
  const issuedAt = Number(issued);
  const expected = deviceMac(key, userId, id, issuedAt);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  const age = deps.clock.now().getTime() / 1000 - issuedAt;
  if (age > DEVICE_COOKIE_SECONDS || age < -300) return null;
  return { id };
}

/**
 * Marks the client as a known device of `userId` after a successful sign-in (cookie or bearer
 * alike): renews the cookie it showed, or issues a new device id. HttpOnly, SameSite=Lax,
 * Path=/, `__Host-` and Secure over HTTPS, long-lived.
 */
export async function setDeviceCookie(deps: AppDeps, req: Request, res: Response, userId: string, device: KnownDevice | null): Promise<void> {
  const key = await deviceKey(deps);
  const id = device?.id ?? randomBytes(16).toString('base64url');
  const issuedAt = Math.floor(deps.clock.now().getTime() / 1000);
  const value = `${id}.${issuedAt}.${deviceMac(key, userId, id, issuedAt).toString('base64url')}`;
  const isSecure = secure(deps, req);
  const parts = [`${isSecure ? SECURE_DEVICE_COOKIE : DEVICE_COOKIE}${cookieTag(key, userId)}=${value}`, 'Path=/', 'HttpOnly', 'SameSite=Lax'];
  if (isSecure) parts.push('Secure');
  parts.push(`Max-Age=${DEVICE_COOKIE_SECONDS}`);
  res.append('Set-Cookie', parts.join('; '));
}
