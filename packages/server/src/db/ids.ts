import { randomBytes } from 'node:crypto';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

let lastTime = -1;
let lastRandom: number[] = [];

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
    lastRandom = [...randomBytes(16)].map((b) => b % 32);
    lastRandom[0] = lastRandom[0]! & 0x0f; // room to increment without overflow
  }
  return encodeTime(now) + lastRandom.map((d) => CROCKFORD[d]).join('');
}
