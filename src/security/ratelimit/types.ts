/** The verdict of one rate-limit check. */
export interface RateDecision {
  readonly allowed: boolean;
  readonly limit: number;
  readonly remaining: number;
  /** Milliseconds until the budget allows another call (0 when allowed). */
  readonly retryAfterMs: number;
}

/**
 * One limiter for HTTP and chat channels (HTTP-3): named budgets (e.g. `anon.read`, `user.write`,
 * `chat.turn`, `twitch.viewer`) keyed by principal or IP; memory store by default, Redis when
 * configured so that replicas share one budget.
 */
export interface RateLimiter {
  consume(budget: string, key: string, cost?: number): Promise<RateDecision>;
}
