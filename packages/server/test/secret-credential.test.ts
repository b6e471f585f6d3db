// test-dialects: sqlite — pure functions in process (secret status, grace, rotation race, use bookkeeping); no server, no database
// The decisions every secret credential (PAT, team key) shares (credentials/secret-credential.ts),
// in process: pure functions of a row and `now`, so their rules are checked here without a server.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ROOT } from './harness.js';

const { secretStatus, graceEndsAt, shouldRecordUse, rotatedSince, assertRotatable, LAST_USED_INTERVAL_MS } = (await import(
  pathToFileURL(path.join(ROOT, 'packages/server/dist/credentials/secret-credential.js')).href
)) as typeof import('../src/credentials/secret-credential.js');

const NOW = new Date('2026-06-01T12:00:00.000Z');
const at = (ms: number) => new Date(NOW.getTime() + ms).toISOString();
const live = { revoked_at: null, expires_at: null, rotated_at: null };

describe('a secret credential’s status', () => {
  it('is active without expiry, revocation or a disabled flag, and a row without the flag is never disabled', () => {
    expect(secretStatus(live, NOW)).toBe('active');
    expect(secretStatus({ ...live, enabled: 1 }, NOW)).toBe('active');
    expect(secretStatus({ ...live, enabled: 0 }, NOW)).toBe('disabled');
  });

  it('expires at its expiry instant exactly, not a millisecond later', () => {
    expect(secretStatus({ ...live, expires_at: at(1) }, NOW)).toBe('active');
    expect(secretStatus({ ...live, expires_at: at(0) }, NOW)).toBe('expired');
  });

  it('lets revocation win over expiry, and expiry over disabling', () => {
    expect(secretStatus({ revoked_at: at(-5), expires_at: at(-10), enabled: 0 }, NOW)).toBe('revoked');
    expect(secretStatus({ revoked_at: null, expires_at: at(-10), enabled: 0 }, NOW)).toBe('expired');
  });
});

describe('rotation', () => {
  it('shows the previous secret’s end only while its grace period runs', () => {
    expect(graceEndsAt({ previous_expires_at: at(1000) }, NOW)).toBe(at(1000));
    expect(graceEndsAt({ previous_expires_at: at(0) }, NOW)).toBeNull();
    expect(graceEndsAt({ previous_expires_at: null }, NOW)).toBeNull();
  });

  it('treats a rotation written after this request arrived as a race, one written before (or at) it as history', () => {
    expect(rotatedSince({ rotated_at: at(1) }, NOW)).toBe(true);
    expect(rotatedSince({ rotated_at: at(0) }, NOW)).toBe(false);
    expect(rotatedSince({ rotated_at: null }, NOW)).toBe(false);
  });

  it('refuses revoked, expired and raced credentials with 409 CONFLICT, and rotates disabled ones', () => {
    const code = (row: Parameters<typeof assertRotatable>[0], arrivedAt = NOW) => {
      try {
        assertRotatable(row, NOW, arrivedAt);
        return 'ok';
      } catch (err) {
        return `${(err as { code: string }).code}: ${(err as Error).message}`;
      }
    };
    expect(code({ ...live, revoked_at: at(-1) })).toMatch(/^CONFLICT: A revoked key cannot be rotated/);
    expect(code({ ...live, expires_at: at(-1) })).toMatch(/^CONFLICT: A expired key cannot be rotated/);
    expect(code({ ...live, rotated_at: at(5) })).toMatch(/^CONFLICT: The key was rotated or revoked by another request meanwhile/);
    expect(code({ ...live, enabled: 0 })).toBe('ok');
  });
});

describe('use bookkeeping', () => {
  it('writes a use at most once a minute from one address, and at once from a new one', () => {
    const last = { last_used_at: at(-LAST_USED_INTERVAL_MS), last_used_ip: '192.0.2.1' };
    expect(shouldRecordUse(last, NOW, '192.0.2.1')).toBe(false);
    expect(shouldRecordUse({ ...last, last_used_at: at(-LAST_USED_INTERVAL_MS - 1) }, NOW, '192.0.2.1')).toBe(true);
    expect(shouldRecordUse(last, NOW, '192.0.2.2')).toBe(true);
    expect(shouldRecordUse({ last_used_at: null, last_used_ip: null }, NOW, null)).toBe(true);
  });
});
