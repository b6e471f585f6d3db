/**
 * Every way `acct` can fail, and the one place where a failure becomes an exit code (CLI.md).
 * Commands throw; the top-level catch in program.ts `main` hands the error to `reportError`.
 */
export const EXIT = {
  OK: 0,
  FAILURE: 1,
  USAGE: 2,
  NETWORK: 3,
  UNAUTHORIZED: 4,
  FORBIDDEN: 5,
  RATE_LIMITED: 6,
  PAYMENT_REQUIRED: 7,
} as const;

/** The exit code an HTTP status maps to. */
export function exitCodeForStatus(status: number): number {
  if (status >= 200 && status < 300) return EXIT.OK;
  if (status === 401) return EXIT.UNAUTHORIZED;
  if (status === 402) return EXIT.PAYMENT_REQUIRED;
  if (status === 403) return EXIT.FORBIDDEN;
  if (status === 429) return EXIT.RATE_LIMITED;
  return EXIT.FAILURE;
}

/** A failure with a message meant for people and a fixed exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.FAILURE,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Wrong or missing arguments, or an input that cannot be prompted for: exit 2. */
export class UsageError extends CliError {
  constructor(message: string, hint?: string) {
    super(message, EXIT.USAGE, hint);
    this.name = 'UsageError';
  }
}

/** The server could not be reached: exit 3. */
export class NetworkError extends CliError {
  constructor(message: string) {
    super(message, EXIT.NETWORK);
    this.name = 'NetworkError';
  }
}

/** A non-2xx answer of the server, carrying its envelope's `code` and `message`. */
export class ApiError extends CliError {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly serverMessage: string,
    readonly acceptedScopes: string | null = null,
    readonly requestId: string | null = null,
  ) {
    super(`${status} ${code}: ${serverMessage}`, exitCodeForStatus(status), hintFor(status, code, acceptedScopes));
    this.name = 'ApiError';
  }
}

function hintFor(status: number, code: string, acceptedScopes: string | null): string | undefined {
  if (status === 401) return 'sign in with `acct login`, or check the token in ACCT_TOKEN / --token';
  if (status === 403 && acceptedScopes && /[ ,]/.test(acceptedScopes.trim())) {
    const any = acceptedScopes.split(/[ ,]+/).filter(Boolean);
    return `this request needs one of the scopes ${any.join(', ')}; create a key that has one: acct keys create --name … --scope ${any[0]}`;
  }
  if (status === 403 && acceptedScopes)
    return `this request needs the scope ${acceptedScopes}; create a key that has it: acct keys create --name … --scope ${acceptedScopes.split(/[ ,]+/).join(' --scope ')}`;
  if (code === 'ORGANIZATION_MISMATCH') return 'the credential is pinned to another organization, or you are not a member of this one';
  if (status === 402) return "the organization is out of credits: see `acct credits`, add some with `acct credits top-up AMOUNT`";
  if (code === 'EMAIL_NOT_VERIFIED') return 'verify your email address with the link mailed to you, or accept with the token from the invitation mail: acct invitations accept ID --token T';
  if (status === 429) return 'still rate limited; try again once the limit resets (the Retry-After header says when: see it with `acct call -i`)';
  return undefined;
}

/**
 * Prints a failure on stderr (never stdout) and returns its exit code: the one mapping from
 * error kinds to exit codes, called by the top-level catch in program.ts `main` (as gh's
 * `mainRun` and Vercel CLI's `handleError`). Commander's own errors (duck-typed, so this file
 * does not load commander) have already printed their message: help and --version are 0,
 * usage errors 2.
 */
export function reportError(err: unknown, writeErr: (text: string) => void): number {
  const commander = err as { code?: unknown; exitCode?: unknown } | null;
  if (commander && typeof commander.code === 'string' && commander.code.startsWith('commander.') && typeof commander.exitCode === 'number') {
    if (commander.code === 'commander.helpDisplayed' || commander.code === 'commander.version' || commander.code === 'commander.help') return EXIT.OK;
    writeErr("Run 'acct --help' for usage.\n");
    return EXIT.USAGE;
  }
  if (err instanceof CliError) {
    writeErr(`acct: ${err.message}\n`);
    if (err.hint) writeErr(`hint: ${err.hint}\n`);
    return err.exitCode;
  }
  const message = err instanceof Error ? err.message : String(err);
  writeErr(`acct: unexpected error: ${message}\n`);
  return EXIT.FAILURE;
}
