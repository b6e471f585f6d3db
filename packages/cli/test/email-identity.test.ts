// test-dialects: sqlite — the CLI (its flags, output, keychain, exit codes); the server API it calls is covered on PostgreSQL by the server suites
import { describe, expect, it } from 'vitest';
import { run as membersRemove } from '../src/commands/members/remove.js';
import { reportError } from '../src/lib/errors.js';
import { fake, ok } from './helpers.js';

const at = '2026-05-05T10:00:00.000Z';
const ORG = { id: '01HZAAAAAAAAAAAAAAAAAAAAAA', name: 'Org acme', slug: 'acme', role: 'owner', createdAt: at, updatedAt: at };
const ANA = { userId: 'u_ana', email: 'ana@example.com', fullName: 'Ana', handle: 'ana', role: 'member', joinedAt: at };

describe('acct members remove EMAIL matches addresses as the server normalises them', () => {
  it.each(['ANA@example.com', 'ａｎａ@ｅｘａｍｐｌｅ.com', ' ana@EXAMPLE.com '])('%j names ana@example.com', async (spelling) => {
    const f = fake((req) => {
      if (req.pathname === '/api/user/organizations' && req.method === 'GET') return ok([ORG]);
      if (req.pathname.endsWith('/members') && req.method === 'GET') return ok([ANA]);
      return ok({ ok: true });
    });
    const code = await membersRemove(f.ctx, { member: spelling }).catch((err) => reportError(err, f.ctx.io.err));
    expect(code, f.io.stderr).toBe(0);
    const last = f.transport.requests.at(-1)!;
    expect([last.method, new URL(last.url).pathname]).toEqual(['DELETE', `/api/user/organizations/${ORG.id}/members/u_ana`]);
  });
});
