import { createHash, timingSafeEqual } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { hash, verify } from '@node-rs/argon2';

/** Argon2id with OWASP's parameters (m=19 MiB, t=2, p=1); 2 = Algorithm.Argon2id. */
export const ARGON2_OPTIONS = { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

/**
 * The suite's servers hash with Argon2id at its smallest cost (m=64 KiB, t=1): thousands of sign-ups,
 * sign-ins and key mints would otherwise spend most of the suite's CPU in Argon2. Only
 * `config.testHashes` (ACCT_TEST_FAST_HASHES=1 with NODE_ENV=test on a loopback host) selects it;
 * no request can. The suite keeps tests that run with the production parameters.
 */
const TEST_ARGON2_OPTIONS = { algorithm: 2, memoryCost: 64, timeCost: 1, parallelism: 1 } as const;

type Argon2Options = { readonly algorithm: 2; readonly memoryCost: number; readonly timeCost: number; readonly parallelism: number };
let options: Argon2Options = ARGON2_OPTIONS;

/** Switches this process to the test cost (serve.ts, only when config.testHashes is set). */
export function useTestHashCost(): void {
  options = TEST_ARGON2_OPTIONS;
}

/**
 * At most one Argon2 computation per core at a time. More in flight cannot go faster (each is
 * CPU-bound) but each holds 19 MiB, and the allocator keeps what the peak took: bounding them
 * bounds the server's memory under a sign-in storm.
 */
const ARGON2_SLOTS = Math.max(1, Number(process.env['ACCT_ARGON2_CONCURRENCY']) || availableParallelism());
let running = 0;
const waiting: (() => void)[] = [];

async function limited<T>(work: () => Promise<T>): Promise<T> {
  if (running >= ARGON2_SLOTS) await new Promise<void>((resolve) => waiting.push(resolve));
  else running++;
  try {
    return await work();
  } finally {
    const next = waiting.shift();
    if (next) next();
    else running--;
  }
}

export function argon2Hash(secret: string): Promise<string> {
  return limited(() => hash(secret, options));
}

/** Constant-time by construction; false (never a throw) for a malformed hash. */
export async function argon2Verify(stored: string, secret: string): Promise<boolean> {
  try {
    return await limited(() => verify(stored, secret));
  } catch {
    return false;
  }
}

let dummyHash: Promise<string> | null = null;

/**
 * Runs one Argon2 verify against a throwaway hash, so that a lookup that found nothing
 * (unknown email, unknown key) costs the same time as one that did. Always false.
 */
export async function dummyVerify(secret: string): Promise<false> {
  dummyHash ??= argon2Hash(`dummy-${Math.random()}-${Date.now()}`);
  await argon2Verify(await dummyHash, secret);
  return false;
}

/**
 * Passwords are hashed in NFKC (NIST SP 800-63B §3.1.1.2): the same password typed as NFC (most
 * keyboards) or NFD (some macOS input paths), or with compatibility forms, is one password.
 * Never trimmed or case-folded.
 */
export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}

/** The Argon2id hash of a password, made from its NFKC form. */
export function hashPassword(password: string): Promise<string> {
  return argon2Hash(normalizePassword(password));
}

/**
 * Checks a password against its stored hash. Hashes made before passwords were normalised were
 * made from the input as typed: when the NFKC form does not match and differs from the input, the
 * input as typed is tried too, and a match asks the caller to rehash (from the NFKC form). A
 * password that is already NFKC (every ASCII one) costs one Argon2 run, as before.
 */
export async function verifyPassword(stored: string, password: string): Promise<{ ok: boolean; rehash: boolean }> {
  const normalized = normalizePassword(password);
  if (await argon2Verify(stored, normalized)) return { ok: true, rehash: argon2NeedsRehash(stored) };
  if (normalized !== password && (await argon2Verify(stored, password))) return { ok: true, rehash: true };
  return { ok: false, rehash: false };
}

/** `dummyVerify` for passwords: the same number of Argon2 runs `verifyPassword` makes for this input. */
export async function dummyPasswordVerify(password: string): Promise<false> {
  const normalized = normalizePassword(password);
  await dummyVerify(normalized);
  if (normalized !== password) await dummyVerify(password);
  return false;
}

/** True when a stored hash was made with weaker parameters than today's (rehash at sign-in). */
export function argon2NeedsRehash(stored: string): boolean {
  const m = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$/.exec(stored);
  if (!m) return true;
  return Number(m[1]) < options.memoryCost || Number(m[2]) < options.timeCost;
}

/** SHA-256 hex: how session and mailed tokens are stored (≥128-bit random, so no stretching needed). */
export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** Constant-time comparison of two digests of equal length. */
export function sameDigest(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
