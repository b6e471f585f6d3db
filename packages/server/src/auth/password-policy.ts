import { COMMON_PASSWORDS } from './common-passwords.generated.js';

// ~49,000 common passwords from zxcvbn-ts (NIST 800-63B §3.1.1.2 blocklist), kept as the one
// sorted string the build generates and searched in place: a Set of them would hold 49,000 more
// strings (~2.5 MB of heap) for the server's lifetime. The line offsets (196 KB, off the JS heap)
// are computed on first use, so a server that never sets a password never holds them.
const OWN_WORDS = new Set(['acct', 'acctacctacctacct', 'passwordpassword']);
let lineStarts: Uint32Array | null = null;

/** Start of each line of `text`, plus text.length + 1 as the end of the last one. */
function startsOfLines(text: string): Uint32Array {
  let lines = 1;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines++;
  const starts = new Uint32Array(lines + 1);
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts[line++] = i + 1;
  starts[lines] = text.length + 1;
  return starts;
}

/** Whether a lowercased password is on the list: a binary search over its sorted lines. */
export function isCommonPassword(lower: string): boolean {
  if (OWN_WORDS.has(lower)) return true;
  lineStarts ??= startsOfLines(COMMON_PASSWORDS);
  let lo = 0;
  let hi = lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const line = COMMON_PASSWORDS.slice(lineStarts[mid]!, lineStarts[mid + 1]! - 1);
    if (line === lower) return true;
    if (line < lower) lo = mid + 1;
    else hi = mid;
  }
  return false;
}

export const PASSWORD_MAX_LENGTH = 256;

/**
 * NIST length rules, a blocklist of common passwords and context words; no composition rules.
 * Returns the reason the password is refused, or null when it is acceptable.
 */
export function passwordProblem(input: string, minLength: number, context: string[]): string | null {
  // Judged in the NFKC form that is hashed, counted in code points (an emoji is one), never
  // trimmed or case-folded: NFC and NFD spellings of one password get the same verdict.
  const password = input.normalize('NFKC');
  const length = [...password].length;
  if (length < minLength) return `password must be at least ${minLength} characters`;
  if (length > PASSWORD_MAX_LENGTH) return `password must be at most ${PASSWORD_MAX_LENGTH} characters`;
  const lower = password.toLowerCase();
  if (isCommonPassword(lower)) return 'password is too common: it appears in lists of breached passwords';
  if (/^(.)\1*$/u.test(password)) return 'password must not be one character repeated';
  for (const word of context) {
    if (word && lower === word.normalize('NFKC').toLowerCase()) return 'password must not be your email, name or the service name';
  }
  return null;
}
