import type { RateLimiter } from '../security/ratelimit/index.js';

/**
 * A per-process fixed-window limiter, used for chat turns only until the shared limiter
 * (identity section) is wired, so that turns are never unlimited by default.
 */
export function createLocalTurnLimiter(options: { perMinute: number; now?: () => number }): RateLimiter {
  const now = options.now ?? Date.now;
  const windows = new Map<string, { start: number; used: number }>();
  return {
    async consume(budget, key, cost = 1) {
      const t = now();
      const id = `${budget}:${key}`;
      let w = windows.get(id);
      if (!w || t - w.start >= 60_000) {
        if (windows.size > 10_000) windows.clear();
        w = { start: t, used: 0 };
        windows.set(id, w);
      }
      const allowed = w.used + cost <= options.perMinute;
      if (allowed) w.used += cost;
      return { allowed, limit: options.perMinute, remaining: Math.max(0, options.perMinute - w.used), retryAfterMs: allowed ? 0 : 60_000 - (t - w.start) };
    },
  };
}
