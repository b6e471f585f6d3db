import path from 'node:path';
import { CliError } from './errors.js';
import { readPrivateFile, writePrivateFile } from './files.js';

export const KEYCHAIN_SERVICE = 'acct';

/** Where PATs are kept: the OS keychain, or the opt-in plain file. */
export interface SecretStore {
  readonly kind: 'keychain' | 'file';
  /** Where, for messages. */
  readonly description: string;
  get(account: string): Promise<string | null>;
  set(account: string, secret: string): Promise<void>;
  /** True when something was deleted. */
  delete(account: string): Promise<boolean>;
  /** Throws KeychainUnavailableError when the store cannot be used at all. */
  probe(): Promise<void>;
}

/**
 * A Secret Service that is busy (gnome-keyring starting, or a loaded machine) can let one D-Bus
 * call time out ("Did not receive a reply") and answer the next: such a failure is tried again,
 * up to `attempts` times in all. Every other failure (no service, locked, no collection) is final.
 */
export function withKeychainRetry<T>(operation: () => T, attempts = 3): T {
  for (let attempt = 1; ; attempt++) {
    try {
      return operation();
    } catch (err) {
      const transient = err instanceof Error && /did not receive a reply/i.test(err.message);
      if (!transient || attempt >= attempts) throw err;
    }
  }
}

/** No keychain answered (no Secret Service on D-Bus, locked, no default collection, …). */
export class KeychainUnavailableError extends CliError {
  constructor(reason: string) {
    super(`no OS keychain available (${reason})`, 1, 'pass --insecure-storage to keep the token in a 0600 file instead, or use ACCT_TOKEN');
    this.name = 'KeychainUnavailableError';
  }
}

/**
 * The OS keychain through @napi-rs/keyring: service `acct`, one account per host and key.
 * On Linux the entry is pinned to the Secret Service, because the library's default would fall
 * back silently to the kernel keyring, which forgets everything at logout.
 */
export class KeychainStore implements SecretStore {
  readonly kind = 'keychain';
  readonly description = 'the OS keychain';

  /** Runs one keychain operation; any failure (constructing the entry connects to D-Bus) means "unavailable". */
  private async with<T>(account: string, fn: (entry: import('@napi-rs/keyring').Entry) => T): Promise<T> {
    const { Entry } = await import('@napi-rs/keyring');
    try {
      return withKeychainRetry(() => fn(new Entry(KEYCHAIN_SERVICE, account, { linux: { store: 'secret-service' } })));
    } catch (err) {
      throw new KeychainUnavailableError(err instanceof Error ? err.message : String(err));
    }
  }

  get(account: string) {
    return this.with(account, (e) => e.getPassword() ?? null);
  }

  set(account: string, secret: string) {
    return this.with(account, (e) => e.setPassword(secret));
  }

  delete(account: string) {
    return this.with(account, (e) => e.deleteCredential());
  }

  /**
   * Writes and deletes a test entry: a keychain that answers reads can still refuse writes
   * (gnome-keyring unlocked with an empty password has no default collection to store into).
   */
  async probe() {
    const { randomBytes } = await import('node:crypto');
    const account = `probe ${randomBytes(6).toString('hex')}`;
    await this.with(account, (e) => {
      e.setPassword('acct keychain write test');
      e.deleteCredential();
    });
  }
}

/** `--insecure-storage`: a JSON file of account → token, 0600, refused when others can read it. */
export class FileStore implements SecretStore {
  readonly kind = 'file';
  readonly file: string;
  readonly description: string;

  constructor(dir: string, name = 'tokens.json') {
    this.file = path.join(dir, name);
    this.description = `the plain-text file ${this.file} (mode 0600)`;
  }

  private read(): Record<string, string> {
    const text = readPrivateFile(this.file, 'token file');
    return text ? (JSON.parse(text) as Record<string, string>) : {};
  }

  async get(account: string) {
    return this.read()[account] ?? null;
  }

  async set(account: string, secret: string) {
    const all = this.read();
    all[account] = secret;
    writePrivateFile(this.file, `${JSON.stringify(all, null, 2)}\n`);
  }

  async delete(account: string) {
    const all = this.read();
    if (!(account in all)) return false;
    delete all[account];
    writePrivateFile(this.file, `${JSON.stringify(all, null, 2)}\n`);
    return true;
  }

  async probe() {
    this.read();
  }
}

/** Both stores, so commands can pick one and tests can swap both. */
export interface Secrets {
  keychain: SecretStore;
  file: SecretStore;
}
