// test-dialects: sqlite — pure functions in process (key status, rotation race rule); no server, no database
// A key's status and the rotation race rule (keys/keys.service.ts `keyStatus`, `toApiKey`;
// credentials/secret-credential.ts `rotatedSince`), in process: pure functions of a row and `now`, so every combination of revoked,
// expired and disabled is checked here without a server. keys-lifecycle.test.ts checks what the
// API does with each status.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ROOT } from './harness.js';

const keys = (await import(pathToFileURL(path.join(ROOT, 'packages/server/dist/keys/keys.service.js')).href)) as typeof import('../src/keys/keys.service.js');
const { keyStatus, toApiKey } = keys;
const { rotatedSince } = (await import(pathToFileURL(path.join(ROOT, 'packages/server/dist/credentials/secret-credential.js')).href)) as typeof import('../src/credentials/secret-credential.js');

const NOW = new Date('2026-12-02T12:00:00.000Z');
const iso = (ms: number) => new Date(NOW.getTime() + ms).toISOString();
const row = (over: { revoked_at?: string | null; expires_at?: string | null; enabled?: number }) => ({ revoked_at: null, expires_at: null, enabled: 1, ...over });

describe('key status', () => {
  it('is active when enabled, not revoked and without an expiry or before it', () => {
    expect(keyStatus(row({}), NOW)).toBe('active');
    expect(keyStatus(row({ expires_at: iso(1) }), NOW)).toBe('active');
    expect(keyStatus(row({ expires_at: iso(86_400_000) }), NOW)).toBe('active');
  });

  it('expires at the instant of its expiry, not a millisecond later', () => {
    expect(keyStatus(row({ expires_at: iso(0) }), NOW)).toBe('expired');
    expect(keyStatus(row({ expires_at: iso(-1) }), NOW)).toBe('expired');
  });

  it('is disabled when switched off, and expired wins over disabled', () => {
    expect(keyStatus(row({ enabled: 0 }), NOW)).toBe('disabled');
    expect(keyStatus(row({ enabled: 0, expires_at: iso(-1) }), NOW)).toBe('expired');
    expect(keyStatus(row({ enabled: 0, expires_at: iso(1000) }), NOW)).toBe('disabled');
  });

  it('is revoked once revoked, whatever else holds', () => {
    for (const enabled of [0, 1]) {
      for (const expires_at of [null, iso(-1000), iso(1000)]) {
        expect(keyStatus(row({ revoked_at: iso(-5000), enabled, expires_at }), NOW), `enabled=${enabled} expires=${expires_at}`).toBe('revoked');
      }
    }
  });

  it('moves with `now` alone: the same row is active before its expiry and expired after', () => {
    const r = row({ expires_at: iso(60_000) });
    expect(keyStatus(r, new Date(NOW.getTime() + 59_999))).toBe('active');
    expect(keyStatus(r, new Date(NOW.getTime() + 60_000))).toBe('expired');
  });
});

describe('the rotation race rule', () => {
  it('refuses a rotation when another one was written after this request arrived', () => {
    expect(rotatedSince({ rotated_at: iso(1) }, NOW)).toBe(true);
    expect(rotatedSince({ rotated_at: iso(5000) }, NOW)).toBe(true);
  });

  it('lets a rotation through when the key was never rotated or rotated before this request arrived', () => {
    expect(rotatedSince({ rotated_at: null }, NOW)).toBe(false);
    expect(rotatedSince({ rotated_at: iso(-1) }, NOW)).toBe(false);
    expect(rotatedSince({ rotated_at: iso(0) }, NOW)).toBe(false);
  });
});

describe('a key as the API shows it', () => {
  const full = {
    id: 'ak_1', lookup_id: 'lookup', user_id: 'u_1', name: 'ci', start: 'ba_abcd', secret_hash: 'argon2-hash-of-current',
    previous_secret_hash: 'argon2-hash-of-previous', previous_expires_at: iso(30_000), rotated_at: iso(-1000),
    scopes: JSON.stringify(['user:read', 'keys:read']), organization_id: null, enabled: 1, expires_at: null,
    last_used_at: null, last_used_ip: null, revoked_at: null, created_at: iso(-60_000), updated_at: iso(-1000),
  } as Parameters<typeof toApiKey>[0];

  it('never carries a secret or a hash, and shows its status', () => {
    const shown = toApiKey(full, NOW);
    expect(JSON.stringify(shown)).not.toContain('argon2-hash');
    expect(shown).not.toHaveProperty('secretHash');
    expect(shown).not.toHaveProperty('lookupId');
    expect(shown).toMatchObject({ id: 'ak_1', status: 'active', enabled: true, scopes: ['user:read', 'keys:read'] });
    expect(toApiKey({ ...full, revoked_at: iso(-1) }, NOW).status).toBe('revoked');
  });

  it('shows the previous secret\'s end only while its grace period runs', () => {
    expect(toApiKey(full, NOW).previousSecretExpiresAt).toBe(iso(30_000));
    expect(toApiKey(full, new Date(NOW.getTime() + 30_000)).previousSecretExpiresAt).toBeNull();
    expect(toApiKey({ ...full, previous_expires_at: null }, NOW).previousSecretExpiresAt).toBeNull();
  });
});
