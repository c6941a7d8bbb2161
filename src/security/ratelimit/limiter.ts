import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Logger } from '../../logging/index.js';
import type { Budget, RateDecision, RateLimiter } from '../../core/index.js';

/** The limiter Hearth builds: the shared contract plus peeking and blocking (login lockout, AUTH-3). */
export interface HearthRateLimiter extends RateLimiter {
  /** Declares or replaces a budget (channels add theirs, e.g. `twitch.viewer`). */
  define(name: string, budget: Budget): void;
  /** Current state without consuming. */
  peek(budget: string, key: string): Promise<RateDecision>;
  /** Blocks a key for `seconds` (a lockout). */
  block(budget: string, key: string, seconds: number): Promise<void>;
  /** Forgets a key (a successful login clears its failures). */
  reset(budget: string, key: string): Promise<void>;
  close(): Promise<void>;
}

export interface RateLimiterOptions {
  readonly budgets: Record<string, Budget>;
  readonly logger: Logger;
  /** redis:// URL; unset = in-process memory store. */
  readonly redisUrl?: string | undefined;
  /** Key namespace in Redis (tests use a unique one). */
  readonly keyPrefix?: string;
}

/** Budget used for names nobody declared, so a typo limits instead of failing open. */
const FALLBACK_BUDGET: Budget = { points: 60, durationSec: 60 };

/**
 * Builds the limiter over rate-limiter-flexible: memory by default; with Redis every replica
 * shares one budget; when Redis is unreachable it keeps limiting in-process (never open) and logs it.
 */
export function createRateLimiter(options: RateLimiterOptions): HearthRateLimiter {
  const { logger } = options;
  const prefix = options.keyPrefix ?? 'hearth:rl';
  let redis: Redis | undefined;
  if (options.redisUrl) {
    // A short offline queue: commands wait for the first connection, and fail fast (to the in-process insurance) when Redis is down.
    redis = new Redis(options.redisUrl, { enableOfflineQueue: true, maxRetriesPerRequest: 1, connectTimeout: 1000 });
    let healthy = true;
    redis.on('error', (err: Error) => {
      if (!healthy) return;
      healthy = false;
      logger.warn({ err: { message: err.message } }, 'rate limiter: Redis unreachable; limiting in-process until it returns');
    });
    redis.on('ready', () => {
      if (!healthy) logger.info('rate limiter: Redis reachable again');
      healthy = true;
    });
  }
  const budgets = new Map<string, Budget>(Object.entries(options.budgets));
  const limiters = new Map<string, RateLimiterAbstract>();

  function limiter(name: string): RateLimiterAbstract {
    const existing = limiters.get(name);
    if (existing) return existing;
    const budget = budgets.get(name) ?? FALLBACK_BUDGET;
    if (!budgets.has(name)) logger.warn({ budget: name }, 'rate limiter: undeclared budget; using 60/min');
    const base = { points: budget.points, duration: budget.durationSec, keyPrefix: `${prefix}:${name}` };
    const memory = new RateLimiterMemory(base);
    const made = redis ? new RateLimiterRedis({ ...base, storeClient: redis, insuranceLimiter: memory }) : memory;
    limiters.set(name, made);
    return made;
  }

  function decision(name: string, res: RateLimiterRes, allowed: boolean): RateDecision {
    const limit = (budgets.get(name) ?? FALLBACK_BUDGET).points;
    return { allowed, limit, remaining: Math.max(0, res.remainingPoints), retryAfterMs: allowed ? 0 : Math.max(1, res.msBeforeNext) };
  }

  return {
    async consume(name, key, cost = 1) {
      try {
        return decision(name, await limiter(name).consume(key, cost), true);
      } catch (rej) {
        if (rej instanceof RateLimiterRes) return decision(name, rej, false);
        throw rej;
      }
    },
    async peek(name, key) {
      const res = await limiter(name).get(key);
      const limit = (budgets.get(name) ?? FALLBACK_BUDGET).points;
      if (!res) return { allowed: true, limit, remaining: limit, retryAfterMs: 0 };
      const allowed = res.remainingPoints > 0;
      return { allowed, limit, remaining: Math.max(0, res.remainingPoints), retryAfterMs: allowed ? 0 : Math.max(1, res.msBeforeNext) };
    },
    async block(name, key, seconds) {
      await limiter(name).block(key, seconds);
    },
    async reset(name, key) {
      await limiter(name).delete(key);
    },
    define(name, budget) {
      budgets.set(name, budget);
      limiters.delete(name);
    },
    async close() {
      if (redis) redis.disconnect();
    },
  };
}
