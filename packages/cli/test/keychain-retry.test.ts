// test-dialects: sqlite — the CLI's keychain access, in-process (no server)
import { describe, expect, it } from 'vitest';
import { withKeychainRetry } from '../src/lib/secrets.js';

const NO_REPLY = 'Platform failure: DBus error: Did not receive a reply. Possible causes include: the remote application did not send a reply';

describe('keychain calls', () => {
  it('a Secret Service that let one D-Bus call time out is asked again, and its answer is used', () => {
    let calls = 0;
    const value = withKeychainRetry(() => {
      calls++;
      if (calls < 3) throw new Error(NO_REPLY);
      return 'the token';
    });
    expect(value).toBe('the token');
    expect(calls).toBe(3);
  });

  it('gives up after three timeouts, with the last error', () => {
    let calls = 0;
    expect(() => withKeychainRetry(() => {
      calls++;
      throw new Error(NO_REPLY);
    })).toThrow(/Did not receive a reply/);
    expect(calls).toBe(3);
  });

  it('any other failure (no service, locked, nothing to store into) is final at once', () => {
    let calls = 0;
    expect(() => withKeychainRetry(() => {
      calls++;
      throw new Error('Secret Service: no result found');
    })).toThrow(/no result found/);
    expect(calls).toBe(1);
  });
});
