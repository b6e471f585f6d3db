import { hash } from 'node:crypto';
import type { ParsedToken } from '@acct/shared';
import { argon2Verify, sameDigest } from '../auth/hashing.js';

interface Verified {
  /** The stored Argon2 hash the token was verified against: a rotation changes it. */
  hash: string;
  /** SHA-256 of the server secret and the token. */
  digest: Buffer;
}

/**
 * Keeps Argon2 off the hot path: a key's first successful verification pays for one Argon2id
 * verify; later requests compare a keyed SHA-256 digest of the token in constant time. The cache holds no
 * secret (only keyed digests) and says nothing about revocation or expiry, which the caller
 * reads from the key's row on every request.
 */
export class KeyVerifier {
  private readonly verified = new Map<string, Verified>();
  private readonly inflight = new Map<string, Promise<boolean>>();

  private readonly prefix: string;

  constructor(
    secret: Buffer,
    private readonly maxEntries = 200_000,
  ) {
    this.prefix = secret.toString('hex');
  }

  /**
   * One-shot SHA-256 over secret ‖ token: an equality check against ≥190-bit random tokens
   * needs no HMAC construction (no length-extension concern for a comparison), and the one-shot
   * `crypto.hash` costs a fraction of `createHmac` on every keyed request.
   */
  private digest(token: string): Buffer {
    return hash('sha256', this.prefix + token, 'buffer');
  }

  /** Argon2 verifications performed so far (observable by tests and the benchmark). */
  argon2Calls = 0;

  async verify(keyId: string, storedHash: string, token: ParsedToken): Promise<boolean> {
    const digest = this.digest(token.token);
    const hit = this.verified.get(keyId);
    if (hit && hit.hash === storedHash) return sameDigest(hit.digest, digest);

    // Concurrent first uses of one key share a single Argon2 verification.
    const flight = `${keyId}:${digest.toString('base64')}`;
    let pending = this.inflight.get(flight);
    if (!pending) {
      this.argon2Calls++;
      pending = argon2Verify(storedHash, token.token).finally(() => this.inflight.delete(flight));
      this.inflight.set(flight, pending);
    }
    const ok = await pending;
    if (ok) this.remember(keyId, { hash: storedHash, digest });
    return ok;
  }

  forget(keyId: string): void {
    this.verified.delete(keyId);
  }

  private remember(keyId: string, entry: Verified): void {
    this.verified.delete(keyId);
    this.verified.set(keyId, entry);
    if (this.verified.size > this.maxEntries) {
      const oldest = this.verified.keys().next().value;
      if (oldest !== undefined) this.verified.delete(oldest);
    }
  }
}
