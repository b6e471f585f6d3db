import { COMMON_PASSWORDS } from './common-passwords.generated.js';

// ~49,000 common passwords from zxcvbn-ts (NIST 800-63B §3.1.1.2 blocklist), built into a Set
// on first use: a server that never sets a password never holds it.
let common: Set<string> | null = null;
function commonPasswords(): Set<string> {
  common ??= new Set([...COMMON_PASSWORDS.split('\n'), 'acct', 'acctacctacctacct', 'passwordpassword']);
  return common;
}

export const PASSWORD_MAX_LENGTH = 256;

/**
 * NIST length rules, a blocklist of common passwords and context words; no composition rules.
 * Returns the reason the password is refused, or null when it is acceptable.
 */
export function passwordProblem(password: string, minLength: number, context: string[]): string | null {
  const length = [...password].length; // code points, never trimmed or case-folded
  if (length < minLength) return `password must be at least ${minLength} characters`;
  if (length > PASSWORD_MAX_LENGTH) return `password must be at most ${PASSWORD_MAX_LENGTH} characters`;
  const lower = password.toLowerCase();
  if (commonPasswords().has(lower)) return 'password is too common: it appears in lists of breached passwords';
  if (/^(.)\1*$/u.test(password)) return 'password must not be one character repeated';
  for (const word of context) {
    if (word && lower === word.toLowerCase()) return 'password must not be your email, name or the service name';
  }
  return null;
}
