/** The verdict of one rate-limit check. */
export interface RateDecision {
  readonly allowed: boolean;
  readonly limit: number;
  readonly remaining: number;
  /** Milliseconds until the budget allows another call (0 when allowed). */
  readonly retryAfterMs: number;
}

/** A named budget: `points` per `durationSec` (HTTP-3). */
export interface Budget {
  readonly points: number;
  readonly durationSec: number;
}

/**
 * One limiter for HTTP and chat channels (HTTP-3): named budgets (e.g. `anon.read`, `user.write`,
 * `user.chat`, `channel.person`) keyed by principal or IP; memory store by default, Redis when
 * configured so that replicas share one budget.
 */
export interface RateLimiter {
  consume(budget: string, key: string, cost?: number): Promise<RateDecision>;
}
