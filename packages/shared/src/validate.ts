import { FormatRegistry, type Static, type TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import type { FieldError } from './errors.js';

// One email rule for server and CLI: something@something.tld, no spaces or control characters.
const EMAIL = /^[^\s@<>()[\]\\,;:"\u0000-\u001f]+@[^\s@<>()[\]\\,;:"\u0000-\u001f]+\.[^\s@<>()[\]\\,;:"\u0000-\u001f]+$/;
FormatRegistry.Set('email', (v) => EMAIL.test(v));
FormatRegistry.Set('date-time', (v) => !Number.isNaN(Date.parse(v)));

const compiled = new WeakMap<TSchema, TypeCheck<TSchema>>();

function checker<T extends TSchema>(schema: T): TypeCheck<T> {
  let c = compiled.get(schema);
  if (!c) {
    c = TypeCompiler.Compile(schema);
    compiled.set(schema, c);
  }
  return c as TypeCheck<T>;
}

export type Validation<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

function field(path: string): string {
  return path.replace(/^\//, '').replace(/\//g, '.') || '(body)';
}

function describe(error: { path: string; message: string; schema: TSchema; value: unknown }): FieldError {
  const name = field(error.path);
  const s = error.schema as Record<string, unknown>;
  if (error.value === undefined) return { field: name, message: `${name} is required` };
  // A contract can state its rule in words where TypeBox's own message would not help ("expected union value").
  if (typeof s['errorMessage'] === 'string') return { field: name, message: `${name} ${s['errorMessage']}` };
  if (s['additionalProperties'] === false && error.message.includes('additional'))
    return { field: name, message: error.message };
  if (typeof error.value === 'string' && typeof s['maxLength'] === 'number' && error.value.length > (s['maxLength'] as number))
    return { field: name, message: `${name} must be at most ${s['maxLength']} characters` };
  if (typeof error.value === 'string' && typeof s['minLength'] === 'number' && error.value.length < (s['minLength'] as number))
    return { field: name, message: `${name} must be at least ${s['minLength']} character${s['minLength'] === 1 ? '' : 's'}` };
  if (s['pattern'] === '\\S' && typeof error.value === 'string') return { field: name, message: `${name} must not be blank` };
  if (s['format'] === 'email') return { field: name, message: `${name} must be a valid email address` };
  return { field: name, message: `${name}: ${error.message.charAt(0).toLowerCase()}${error.message.slice(1)}` };
}

/** Checks a value against a contract schema; unknown fields, wrong types and limits become field errors. */
export function validate<T extends TSchema>(schema: T, value: unknown): Validation<Static<T>> {
  const c = checker(schema);
  if (c.Check(value)) return { ok: true, value: value as Static<T> };
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  for (const e of c.Errors(value)) {
    // Unknown properties are reported on the object; name each one.
    if (e.message.toLowerCase().includes('additional') && e.value && typeof e.value === 'object') {
      const known = Object.keys(((e.schema as { properties?: object }).properties ?? {}));
      for (const k of Object.keys(e.value as object).filter((k) => !known.includes(k))) {
        const f = field(`${e.path}/${k}`);
        if (!seen.has(f)) errors.push({ field: f, message: `${f} is not a known field` }), seen.add(f);
      }
      continue;
    }
    const d = describe(e);
    if (seen.has(d.field)) continue;
    seen.add(d.field);
    errors.push(d);
    if (errors.length >= 20) break;
  }
  return { ok: false, errors };
}

/**
 * Query strings arrive as strings: convert what the schema types as numbers/booleans, then validate.
 * Only plain decimal numbers and `true`/`false` are converted: TypeBox's own conversion would
 * read `limit=1.5` and `limit=1e1` as 1 and `limit=0x10` as 16, answering something other than
 * what was asked instead of a validation error.
 */
export function validateQuery<T extends TSchema>(schema: T, query: Record<string, unknown>): Validation<Static<T>> {
  const properties = (schema as { properties?: Record<string, { type?: string }> }).properties ?? {};
  const converted: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(query)) {
    if (typeof v !== 'string') return { ok: false, errors: [{ field: k, message: `${k} must be given once, as a plain value` }] };
    const type = properties[k]?.type;
    if (type === 'integer' && /^-?\d{1,15}$/.test(v)) converted[k] = Number(v);
    else if (type === 'number' && /^-?\d{1,15}(\.\d{1,15})?$/.test(v)) converted[k] = Number(v);
    else if (type === 'boolean' && (v === 'true' || v === 'false')) converted[k] = v === 'true';
    else converted[k] = v;
  }
  return validate(schema, converted);
}
