/** The injected clock: every time-dependent decision reads `now()`, so tests can move time. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** The last instant iso() wrote, and its text. */
let lastMs = Number.NaN;
let lastText = '';

/**
 * `date.toISOString()`, remembered for the last instant: a write stamps the same instant several
 * times (its row's created and updated times, the ledger's, the audit row's), and V8's
 * toISOString costs ~0.4 µs each time (docs/benchmarks.md "Session 20"). An invalid date
 * (NaN, never equal to itself) throws RangeError as toISOString does.
 */
export function iso(date: Date): string {
  const ms = date.getTime();
  if (ms !== lastMs) {
    lastText = date.toISOString();
    lastMs = ms;
  }
  return lastText;
}

export function addSeconds(date: Date, seconds: number): Date {
  return new Date(date.getTime() + seconds * 1000);
}
