import { Type, type TSchema } from '@sinclair/typebox';
import { SCOPE_NAMES } from './scopes.js';

/** Building blocks shared by the contracts. */
export const Id = Type.String({ minLength: 1, maxLength: 64, description: 'Opaque identifier' });
export const Timestamp = Type.String({ format: 'date-time' });
export const NullableTimestamp = Type.Union([Timestamp, Type.Null()]);
export const Email = Type.String({ format: 'email', minLength: 3, maxLength: 254 });
export const ScopeName = Type.Union(SCOPE_NAMES.map((s) => Type.Literal(s)), { description: 'A scope from the catalogue' });
export const Nothing = Type.Null();
/** A display name: 1–100 characters with at least one that is not white space (stored trimmed). */
export const Name = Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' });

/** `limit` and `cursor` of every list. */
export const ListQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);

/** An object that rejects unknown fields (SECURITY: mass assignment). */
export function Strict<T extends Record<string, TSchema>>(properties: T) {
  return Type.Object(properties, { additionalProperties: false });
}
