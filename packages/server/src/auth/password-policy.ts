import { dictionary } from '@zxcvbn-ts/language-common';

// ~49,000 common passwords shipped offline with zxcvbn-ts (NIST 800-63B §3.1.1.2 blocklist).
const COMMON = new Set((dictionary as Record<string, string[]>)['passwords-common']!.map((p) => p.toLowerCase()));
COMMON.add('acct').add('acctacctacctacct').add('passwordpassword');

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
  if (COMMON.has(lower)) return 'password is too common: it appears in lists of breached passwords';
  if (/^(.)\1*$/u.test(password)) return 'password must not be one character repeated';
  for (const word of context) {
    if (word && lower === word.toLowerCase()) return 'password must not be your email, name or the service name';
  }
  return null;
}
