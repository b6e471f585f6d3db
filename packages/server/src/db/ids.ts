import { randomFillSync } from 'node:crypto';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

let lastTime = -1;
/** The 16 random base-32 digits of the last id (80 bits; the first digit keeps its top bit clear). */
const lastRandom = new Uint8Array(16);
/**
 * Random bytes drawn from the CSPRNG 4 KiB at a time (as crypto.randomUUID does): a
 * randomBytes(16) call per millisecond cost ~2 µs of every id at a few thousand writes a second.
 */
const pool = Buffer.alloc(4096);
let poolAt = pool.length;

function encodeTime(t: number): string {
  let out = '';
  for (let i = 0; i < 10; i++) {
    out = CROCKFORD[t % 32] + out;
    t = Math.floor(t / 32);
  }
  return out;
}

/** The first ten characters of a ULID made at `ms`: ids made before then sort below it. */
export function ulidTimePrefix(ms: number): string {
  return encodeTime(ms);
}

/**
 * A monotonic ULID: 48-bit millisecond time + 80 random bits, Crockford base32. Ids made in
 * the same millisecond by this process increase, so ordering by id is ordering by creation.
 */
export function ulid(now = Date.now()): string {
  if (now <= lastTime) {
    now = lastTime;
    let i = lastRandom.length - 1;
    while (i >= 0 && lastRandom[i] === 31) lastRandom[i--] = 0;
    if (i >= 0) lastRandom[i]! += 1;
  } else {
    lastTime = now;
    if (poolAt + 16 > pool.length) {
      randomFillSync(pool);
      poolAt = 0;
    }
    // 256 is a multiple of 32: each digit stays uniform.
    for (let i = 0; i < 16; i++) lastRandom[i] = pool[poolAt + i]! & 31;
    poolAt += 16;
    lastRandom[0] = lastRandom[0]! & 0x0f; // room to increment without overflow
  }
  let out = encodeTime(now);
  for (let i = 0; i < 16; i++) out += CROCKFORD[lastRandom[i]!];
  return out;
}
