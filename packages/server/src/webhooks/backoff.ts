/** Attempts per delivery: the first and nine retries, spread over about a day (retryDelaySeconds). */
export const MAX_ATTEMPTS = 10;

/** Consecutive failed attempts after which an endpoint is marked failing and its owners are told. */
export const FAILING_AFTER = 5;

/**
 * Seconds to wait after failed attempt number `attempt` (1-based): 5 s × 4^(attempt-1), capped at
 * 10 h, with ±20% jitter so endpoints that failed together do not retry together. Without jitter
 * the nine waits add up to 5+20+80+320+1280+5120+20480+36000+36000 s ≈ 27.6 h.
 * `random` is in [0, 1) (injected, so tests can pin it).
 */
export function retryDelaySeconds(attempt: number, random: number = Math.random()): number {
  const base = Math.min(5 * 4 ** Math.max(0, attempt - 1), 36_000);
  return Math.round(base * (0.8 + 0.4 * random));
}
