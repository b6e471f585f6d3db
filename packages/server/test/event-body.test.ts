// test-dialects: sqlite — a pure function in process (webhooks/events.ts); no server, no database
// Every audited webhook event's body is built by eventBodyWithActor, which writes the JSON of
// `{ type, timestamp, data: { ...data, actor } }` by hand instead of serializing that object: the
// text must be the very text JSON.stringify gives (the signature is over it, and receivers parse it).
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ROOT } from './harness.js';

const { eventBody, eventBodyWithActor } = (await import(pathToFileURL(path.join(ROOT, 'packages/server/dist/webhooks/events.js')).href)) as typeof import('../src/webhooks/events.js');

const AT = '2026-12-05T02:22:34.672Z';
const USER = { type: 'user', id: 'usr_01JBX0000000000000000000AA' };
const spread = (type: string, data: Record<string, unknown>, actor: { type: string; id: string | null }) => eventBody(type, AT, { ...data, actor: { type: actor.type, id: actor.id } });

describe('eventBodyWithActor', () => {
  const cases: [string, Record<string, unknown>, { type: string; id: string | null }][] = [
    ['a project row', { id: 'prj_1', organizationId: 'org_1', name: 'bench project', description: null, createdAt: AT, updatedAt: AT }, USER],
    ['no data at all', {}, USER],
    ['only undefined fields (dropped as JSON.stringify drops them)', { gone: undefined }, USER],
    ['undefined among others', { a: 1, gone: undefined, b: 'x' }, USER],
    ['nested values, arrays, numbers, booleans', { fields: ['name', 'description'], n: 1.5, ok: false, deep: { x: [1, { y: null }] } }, USER],
    ['text that must be escaped', { name: 'quote " backslash \\ newline \n tab \t U+2028 \u2028 emoji 🔑 <script>' }, USER],
    ['an anonymous actor (null id)', { id: 'ses_1' }, { type: 'anonymous', id: null }],
    ['a team key actor', { id: 'key_1' }, { type: 'team_key', id: 'team_1' }],
    ['data with its own actor key (the spread overrides it in place)', { before: 1, actor: 'someone', after: 2 }, USER],
  ];
  for (const [name, data, actor] of cases) {
    it(`gives JSON.stringify's text: ${name}`, () => {
      const text = eventBodyWithActor('project.created', AT, data, actor);
      expect(text).toBe(spread('project.created', data, actor));
      const parsed = JSON.parse(text) as { type: string; timestamp: string; data: Record<string, unknown> };
      expect(parsed.type).toBe('project.created');
      expect(parsed.timestamp).toBe(AT);
      expect(parsed.data['actor']).toEqual({ type: actor.type, id: actor.id });
      // The actor is the last key, where the spread puts a key the data did not have.
      if (!Object.hasOwn(data, 'actor')) expect(Object.keys(parsed.data).at(-1)).toBe('actor');
    });
  }

  it('escapes the event type and time as JSON.stringify does', () => {
    expect(eventBodyWithActor('odd"type\\', 'time"\n', { a: 1 }, USER)).toBe(eventBody('odd"type\\', 'time"\n', { a: 1, actor: USER }));
  });
});
