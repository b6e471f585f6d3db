/**
 * Test values derived from a contract's JSON Schema (TypeBox): what is required, a value of
 * the wrong type, and values that break each declared limit. The route matrix uses them so
 * that every field of every route is probed without a hand-written case.
 */
type Schema = {
  type?: string;
  anyOf?: Schema[];
  const?: unknown;
  properties?: Record<string, Schema>;
  required?: string[];
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  items?: Schema;
};

export function requiredOf(schema: object): string[] {
  return [...((schema as Schema).required ?? [])];
}

export function bodyProperties(schema: object): [string, Schema][] {
  return Object.entries((schema as Schema).properties ?? {});
}

export const queryProperties = bodyProperties;

export function allowsNull(schema: Schema): boolean {
  return schema.type === 'null' || Boolean(schema.anyOf?.some(allowsNull));
}

function types(schema: Schema): string[] {
  if (schema.anyOf) return schema.anyOf.flatMap(types);
  if (schema.const !== undefined) return [typeof schema.const];
  return schema.type ? [schema.type] : [];
}

/** A JSON value no variant of the schema accepts. */
export function wrongTypeValue(schema: Schema): unknown {
  const accepted = new Set(types(schema));
  const candidates: [string[], unknown][] = [
    [['string'], 12345],
    [['integer', 'number'], '12'],
    [['boolean'], 'true'],
    [['array'], 'not-a-list'],
    [['object'], 'not-an-object'],
  ];
  // Prefer the classic confusion for the field's own type (a number where a string goes, …).
  for (const [kinds, value] of candidates) if (kinds.some((k) => accepted.has(k)) && !accepted.has(jsonType(value))) return value;
  return accepted.has('object') ? 42 : { unexpected: true };
}

function jsonType(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (Number.isInteger(value)) return 'integer';
  return typeof value;
}

/** Values of the right type that break one declared limit each, with what they break. */
export function invalidValues(schema: Schema): [string, unknown][] {
  const out: [string, unknown][] = [];
  const variants = schema.anyOf ?? [schema];
  for (const s of variants) {
    if (s.type === 'string') {
      if (s.format === 'email') out.push(['not an email address', 'not-an-email'], ['an email without a domain dot', 'someone@localhost']);
      if (s.format === 'date-time') out.push(['not a timestamp', 'yesterday']);
      if (s.pattern) {
        // A value of the right length that the pattern refuses (slugs refuse capitals, names refuse blanks).
        const offPattern = ['Not Valid!', '   '].find((v) => !new RegExp(s.pattern!).test(v));
        if (offPattern !== undefined) out.push(['off its pattern', offPattern]);
      }
      if (s.maxLength !== undefined && s.maxLength <= 16_000) out.push([`longer than ${s.maxLength}`, 'x'.repeat(s.maxLength + 1)]);
      if (s.minLength !== undefined && s.minLength >= 1) out.push(['empty', '']);
    }
    if (s.type === 'integer' || s.type === 'number') {
      if (s.minimum !== undefined) out.push([`below ${s.minimum}`, s.minimum - 1]);
      if (s.maximum !== undefined) out.push([`above ${s.maximum}`, s.maximum + 1]);
      if (s.type === 'integer') out.push(['a fraction', 1.5]);
    }
    if (s.type === 'array') {
      if (s.minItems !== undefined && s.minItems >= 1) out.push(['an empty list', []]);
      if (s.items?.anyOf?.every((v) => v.const !== undefined)) out.push(['a list with an unknown value', ['no-such-value']]);
      if (s.uniqueItems && s.items) {
        const one = s.items.anyOf?.[0]?.const ?? 'x';
        out.push(['a list with duplicates', [one, one]]);
      }
    }
    if (s.anyOf === undefined && s.const === undefined && variants.length > 1) continue;
  }
  if (schema.anyOf?.every((v) => v.const !== undefined)) out.push(['not one of its values', 'no-such-value']);
  return out;
}
