import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CliError } from './errors.js';
import { writePrivateFile } from './files.js';

/** A PAT saved for a host; the secret itself lives in the keychain (or the opt-in file). */
export interface SavedToken {
  /** Keychain account: `<origin> <lookup id>`. */
  account: string;
  storage: 'keychain' | 'file';
  /** Masked (`ba_AbCd…`), for display. */
  masked: string;
  id?: string;
  name?: string;
  scopes?: string[];
  expiresAt?: string | null;
  organizationId?: string | null;
  /** The account the token acts for, when known: only the active account's tokens are used. */
  userId?: string;
  savedAt: string;
  /** An OAuth access token from `acct login --web`: refreshed with the refresh token kept under `refreshAccount`. */
  oauth?: { clientId: string; refreshAccount: string };
}

/** An account signed in on a host (`acct auth switch` chooses the active one). */
export interface Account {
  id: string;
  email: string;
  handle?: string;
  /** Where its session cookie waits while another account is active. */
  stashedSession?: 'keychain' | 'file';
}

/** The organization commands use on a host when neither --org nor ACCT_ORG says otherwise. */
export interface CurrentOrganization {
  id: string;
  slug: string;
  name: string;
}

export interface HostConfig {
  /** The active account. */
  user?: { id: string; email: string; handle?: string };
  /** Every account signed in on this host, the active one included. */
  accounts?: Account[];
  /** Set by `acct orgs switch`. */
  organization?: CurrentOrganization;
  /** Newest first; the first one is the one in use. */
  tokens?: SavedToken[];
}

export interface ConfigData {
  currentHost?: string;
  hosts: Record<string, HostConfig>;
}

/** `$XDG_CONFIG_HOME/acct`, else `~/.config/acct`. */
export function configDir(env: NodeJS.ProcessEnv): string {
  const xdg = env['XDG_CONFIG_HOME'];
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(env['HOME'] || os.homedir(), '.config');
  return path.join(base, 'acct');
}

/** `config.json`: hosts, the current host, who is signed in where, which PATs are saved. */
export class Config {
  readonly file: string;
  data: ConfigData;

  constructor(readonly dir: string) {
    this.file = path.join(dir, 'config.json');
    this.data = Config.read(this.file);
  }

  private static read(file: string): ConfigData {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { hosts: {} };
      throw err;
    }
    try {
      const parsed = JSON.parse(text) as Partial<ConfigData>;
      return { ...parsed, hosts: parsed.hosts ?? {} };
    } catch {
      throw new CliError(`${file} is not valid JSON`, 1, 'fix or delete it');
    }
  }

  host(origin: string): HostConfig {
    return (this.data.hosts[origin] ??= {});
  }

  save(): void {
    writePrivateFile(this.file, `${JSON.stringify(this.data, null, 2)}\n`);
  }
}
