import fs from 'node:fs';
import { UsageError } from './errors.js';

export type FieldValue = string | number | boolean | null | FieldObject | FieldValue[];
export interface FieldObject {
  [key: string]: FieldValue;
}

/** `-F` values as `gh api` types them: true/false/null, numbers, `@file` (`@-` = stdin); else a string. */
export async function typedValue(raw: string, readStdin: () => Promise<string>): Promise<FieldValue> {
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  if (raw === 'null') return null;
  if (/^-?(?:0|[1-9]\d*)(?:\.\d+)?$/.test(raw)) return Number(raw);
  if (raw.startsWith('@')) {
    const file = raw.slice(1);
    if (file === '-') return readStdin();
    try {
      return fs.readFileSync(file, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
    }
  }
  return raw;
}

/** `a[b][]` → ['a', 'b', '']; '' means "append to an array". */
export function keyPath(key: string): string[] {
  const m = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(key);
  if (!m) throw new UsageError(`invalid field name "${key}": use key, key[sub] or key[]`);
  const rest = [...m[2]!.matchAll(/\[([^[\]]*)\]/g)].map((x) => x[1]!);
  return [m[1]!, ...rest];
}

/** Sets a value at a key path, creating objects and arrays on the way. */
export function setPath(target: FieldObject, path: string[], value: FieldValue): void {
  let node: FieldObject | FieldValue[] = target;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    const last = i === path.length - 1;
    const nextIsArray = !last && path[i + 1] === '';
    if (Array.isArray(node)) {
      if (seg !== '') throw new UsageError(`field ${path.join('.')} mixes an array with named keys`);
      if (last) {
        node.push(value);
        return;
      }
      // `a[][b]=1 a[][c]=2` fill one object until a key repeats, as gh does.
      const tail: FieldValue | undefined = node[node.length - 1];
      const nextKey = path[i + 1]!;
      if (!nextIsArray && tail && typeof tail === 'object' && !Array.isArray(tail) && !(nextKey in tail)) {
        node = tail;
      } else {
        const fresh: FieldObject | FieldValue[] = nextIsArray ? [] : {};
        node.push(fresh);
        node = fresh;
      }
      continue;
    }
    if (seg === '') throw new UsageError(`field ${path.join('.')} mixes an array with named keys`);
    if (last) {
      node[seg] = value;
      return;
    }
    const existing = node[seg];
    if (nextIsArray) {
      if (!Array.isArray(existing)) node[seg] = [];
    } else if (!existing || typeof existing !== 'object' || Array.isArray(existing)) {
      node[seg] = {};
    }
    node = node[seg] as FieldObject | FieldValue[];
  }
}

/** Splits `key=value` at the first `=`. */
export function splitField(field: string, flag: string): [string, string] {
  const at = field.indexOf('=');
  if (at <= 0) throw new UsageError(`${flag} ${field}: expected key=value`);
  return [field.slice(0, at), field.slice(at + 1)];
}

/** Builds the parameters of `-f` (raw strings) and `-F` (typed) flags, in command-line order. */
export async function buildFields(raw: string[], typed: string[], readStdin: () => Promise<string>): Promise<FieldObject> {
  const out: FieldObject = {};
  for (const f of raw) {
    const [k, v] = splitField(f, '-f');
    setPath(out, keyPath(k), v);
  }
  for (const f of typed) {
    const [k, v] = splitField(f, '-F');
    setPath(out, keyPath(k), await typedValue(v, readStdin));
  }
  return out;
}

/** Fields of a GET become the query string (nested keys keep their brackets). */
export function toQuery(fields: FieldObject): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (prefix: string, value: FieldValue) => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) walk(prefix ? `${prefix}[${k}]` : k, v);
    } else if (Array.isArray(value)) {
      value.forEach((v) => walk(`${prefix}[]`, v));
    } else {
      out[prefix] = value === null ? '' : String(value);
    }
  };
  walk('', fields);
  return out;
}
