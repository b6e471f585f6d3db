/** Pure arithmetic of fixed windows and of the headers; every function takes `now`. */

/** The fixed window `now` falls in: windows of `windowMs` start at multiples of it since the Unix epoch. */
export function windowOf(nowMs: number, windowMs: number): { start: number; end: number } {
  const start = Math.floor(nowMs / windowMs) * windowMs;
  return { start, end: start + windowMs };
}

/** Whole seconds until `resetMs`, at least 1 (a client told 0 would retry at once). */
export function retryAfterSeconds(resetMs: number, nowMs: number): number {
  return Math.max(1, Math.ceil((resetMs - nowMs) / 1000));
}

/** What one limit says about the request, as the headers show it. */
export interface LimitState {
  limit: number;
  remaining: number;
  resetMs: number;
}

/** The tighter of two states: fewer requests left, then the later reset. */
export function tighter(a: LimitState | undefined, b: LimitState): LimitState {
  if (!a) return b;
  if (b.remaining !== a.remaining) return b.remaining < a.remaining ? b : a;
  return b.resetMs > a.resetMs ? b : a;
}

/** `X-RateLimit-*` of a state (Reset in Unix seconds, as seed 001 documents). */
export function rateLimitHeaders(state: LimitState): Record<string, string> {
  return {
    'X-RateLimit-Limit': String(state.limit),
    'X-RateLimit-Remaining': String(Math.max(0, state.remaining)),
    'X-RateLimit-Reset': String(Math.ceil(state.resetMs / 1000)),
  };
}
