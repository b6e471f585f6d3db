import { UsageError } from './errors.js';

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800, y: 31_536_000 };

/** `30d` → 2592000 seconds; units s, m, h, d, w, y; a bare number is seconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+)\s*([smhdwy]?)$/i.exec(text.trim());
  if (!m) throw new UsageError(`invalid duration "${text}": use a number and a unit, e.g. 90m, 12h, 30d, 1y`);
  const seconds = Number(m[1]) * UNITS[(m[2] || 's').toLowerCase()]!;
  if (seconds <= 0) throw new UsageError('the duration must be positive');
  return seconds;
}
