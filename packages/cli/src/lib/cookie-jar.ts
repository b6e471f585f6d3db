import fs from 'node:fs';
import path from 'node:path';
import { CookieJar, type SerializedCookieJar } from 'tough-cookie';
import { readPrivateFile, writePrivateFile } from './files.js';

const DEVICE_COOKIE = /^(__Host-)?acct_device_/;
const SESSION_COOKIE = /^(__Host-)?acct_session$/;

/**
 * One tough-cookie jar for every host, persisted between runs in `cookies.json` (0600), so a
 * second `acct` process sees the session the first created. Cookies are scoped by host as
 * RFC 6265 says (not by port).
 */
export class PersistentJar {
  private changed = false;

  private constructor(
    readonly file: string,
    private jar: CookieJar,
  ) {}

  /** Loads the jar, refusing one that others can read. */
  static load(dir: string): PersistentJar {
    const file = path.join(dir, 'cookies.json');
    const text = readPrivateFile(file, 'cookie jar');
    const jar = text ? CookieJar.deserializeSync(JSON.parse(text) as SerializedCookieJar) : new CookieJar();
    return new PersistentJar(file, jar);
  }

  /** True when a jar file exists, without reading it (to skip loading it when a token is in use). */
  static exists(dir: string): boolean {
    return fs.existsSync(path.join(dir, 'cookies.json'));
  }

  cookieHeader(url: string): string {
    return this.jar.getCookieStringSync(url);
  }

  /**
   * Only the server's device cookies (`acct_device_*`): they mark this machine as one that
   * signed in before, so the server's lockout limits it by its own failures alone (SECURITY.md).
   * Not credentials: they go with sign-in and the other requests that carry none.
   */
  deviceCookieHeader(url: string): string {
    return this.jar.getCookiesSync(url).filter((c) => DEVICE_COOKIE.test(c.key)).map((c) => c.cookieString()).join('; ');
  }

  /** Whether the jar holds a session cookie for the URL (a device cookie alone is no session). */
  hasSessionCookie(url: string): boolean {
    return this.jar.getCookiesSync(url).some((c) => SESSION_COOKIE.test(c.key));
  }

  /** Stores the Set-Cookie headers of a response (expired ones remove the cookie). */
  store(url: string, setCookies: string[]): void {
    for (const header of setCookies) {
      try {
        this.jar.setCookieSync(header, url, { ignoreError: false });
        this.changed = true;
      } catch {
        // A cookie the jar rejects (wrong domain, bad syntax) is dropped, as a browser would.
      }
    }
  }

  /** Forgets every cookie of a host. */
  clearHost(url: string): void {
    const hostname = new URL(url).hostname.replace(/^\[|\]$/g, '');
    const serialized = this.jar.serializeSync();
    if (!serialized) return;
    const kept = serialized.cookies.filter((c) => c['domain'] !== hostname);
    if (kept.length === serialized.cookies.length) return;
    this.jar = CookieJar.deserializeSync({ ...serialized, cookies: kept });
    this.changed = true;
  }

  /** The cookies of a host, serialized (to keep one account's session while another is active). */
  exportHost(url: string): string {
    const hostname = new URL(url).hostname.replace(/^\[|\]$/g, '');
    return JSON.stringify((this.jar.serializeSync()?.cookies ?? []).filter((c) => c['domain'] === hostname));
  }

  /** Puts back cookies `exportHost` returned (after `clearHost`). */
  importHost(serialized: string): void {
    const current = this.jar.serializeSync();
    if (!current) return;
    this.jar = CookieJar.deserializeSync({ ...current, cookies: [...current.cookies, ...(JSON.parse(serialized) as typeof current.cookies)] });
    this.changed = true;
  }

  /** Writes the jar back if anything changed. */
  save(): void {
    if (!this.changed) return;
    writePrivateFile(this.file, JSON.stringify(this.jar.serializeSync()));
    this.changed = false;
  }
}
