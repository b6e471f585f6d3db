// test-dialects: sqlite — the CLI (its flags, output, keychain, exit codes); the server API it calls is covered on PostgreSQL by the server suites
import { ROUTES as CONTRACTS } from '@acct/shared';
import { buildPath, ROUTES } from '@acct/shared/routes';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Api } from '../src/lib/api.js';

const SRC = path.join(path.dirname(fileURLToPath(import.meta.url)), '../src');

describe('typed calls (issue 13)', () => {
  it('every route in @acct/shared/routes has its contract’s method and path', () => {
    expect(Object.keys(ROUTES).length).toBeGreaterThan(0);
    for (const [name, ref] of Object.entries(ROUTES)) {
      const contract = CONTRACTS[name as keyof typeof CONTRACTS];
      expect(contract, name).toBeDefined();
      expect({ name: ref.name, method: ref.method, path: ref.path }).toEqual({ name, method: contract.method, path: contract.path });
    }
  });

  it('buildPath fills and encodes each parameter, and refuses a missing or unknown one', () => {
    expect(buildPath(ROUTES.removeMember.path, { organizationId: 'acme', userId: 'a/b c' })).toBe('/api/user/organizations/acme/members/a%2Fb%20c');
    expect(buildPath(ROUTES.getMe.path)).toBe('/api/user/me');
    expect(() => buildPath(ROUTES.removeMember.path, { organizationId: 'acme' })).toThrow(/missing path parameter userId/);
    expect(() => buildPath(ROUTES.removeMember.path, { organizationId: 'acme', userId: '' })).toThrow(/missing path parameter userId/);
    expect(() => buildPath(ROUTES.getMe.path, { organizationId: 'acme' })).toThrow(/no path parameter organizationId/);
  });

  it('a call becomes the request: method and path from the route, body as JSON, query, headers, credential', () => {
    expect(Api.build(ROUTES.createPayment, { params: { organizationId: '01ORG' }, body: { amount: 5 }, headers: { 'Idempotency-Key': 'k' } })).toEqual({
      method: 'POST',
      path: '/api/user/organizations/01ORG/payments',
      json: { amount: 5 },
      headers: { 'Idempotency-Key': 'k' },
    });
    expect(Api.build(ROUTES.getApiKey, { query: { id: 'ak_1' }, credential: 'session' })).toEqual({ method: 'GET', path: '/api/auth/api-key/get', query: { id: 'ak_1' }, credential: 'session' });
  });

  it('no command hard-codes an API path: only `acct call` (raw) and the route table name them', () => {
    const files = fs.readdirSync(SRC, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts') && !f.startsWith('commands/call/'));
    const offenders = files.filter((f) => /['"`]\/api\//.test(fs.readFileSync(path.join(SRC, f), 'utf8').replace(/^\s*(\/\/|\/?\*).*$/gm, '')));
    expect(offenders).toEqual([]);
  });
});
