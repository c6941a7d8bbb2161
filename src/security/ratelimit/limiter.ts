import { createRequire } from 'node:module';
import type {
  RateLimiterAbstract,
  RateLimiterMemory as Memory,
  RateLimiterRedis as RedisStore,
  RateLimiterRes as Res,
} from 'rate-limiter-flexible';
import type { Logger } from '../../logging/index.js';
import type { Budget, RateDecision, RateLimiter } from '../../core/index.js';
import { connectRedis } from './redis-link.js';

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
  /** Where counts live: memory (no Redis configured), redis, or fallback (Redis down: in-process, never open). */
  mode(): 'memory' | 'redis' | 'fallback';
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

const require = createRequire(import.meta.url);
// The package's index loads every store it supports (Mongo, MySQL, DynamoDB, etcd, …: ~9 MB and
// ~30 ms); Hearth needs memory and, with HEARTH_REDIS_URL, Redis.
const RateLimiterMemory = require('rate-limiter-flexible/lib/RateLimiterMemory.js') as typeof Memory;
const RateLimiterRes = require('rate-limiter-flexible/lib/RateLimiterRes.js') as typeof Res;

/** Budget used for names nobody declared, so a typo limits instead of failing open. */
const FALLBACK_BUDGET: Budget = { points: 60, durationSec: 60 };

/**
 * Builds the limiter over rate-limiter-flexible: memory by default; with Redis every replica
 * shares one budget; when Redis is unreachable it keeps limiting in-process (never open), at once
 * rather than after a wait per request, logs it once, and returns to Redis when it answers.
 */
export function createRateLimiter(options: RateLimiterOptions): HearthRateLimiter {
  const { logger } = options;
  const prefix = options.keyPrefix ?? 'hearth:rl';
  const redis = options.redisUrl ? connectRedis(options.redisUrl, logger) : undefined;
  const RateLimiterRedis = redis ? (require('rate-limiter-flexible/lib/RateLimiterRedis.js') as typeof RedisStore) : undefined;
  const budgets = new Map<string, Budget>(Object.entries(options.budgets));
  /** Per budget: the in-process counts, and the shared ones in Redis when configured. */
  const limiters = new Map<string, { memory: RateLimiterAbstract; shared: RateLimiterAbstract | undefined }>();

  function pair(name: string) {
    const existing = limiters.get(name);
    if (existing) return existing;
    const budget = budgets.get(name) ?? FALLBACK_BUDGET;
    if (!budgets.has(name)) logger.warn({ budget: name }, 'rate limiter: undeclared budget; using 60/min');
    const base = { points: budget.points, duration: budget.durationSec, keyPrefix: `${prefix}:${name}` };
    const made = {
      memory: new RateLimiterMemory(base),
      shared:
        redis && RateLimiterRedis ? new RateLimiterRedis({ ...base, storeClient: redis.client, rejectIfRedisNotReady: true }) : undefined,
    };
    limiters.set(name, made);
    return made;
  }

  /** Runs `op` on Redis while it answers, otherwise (or when it fails now) on the in-process counts. */
  async function run<T>(name: string, op: (limiter: RateLimiterAbstract) => Promise<T>): Promise<T> {
    const { memory, shared } = pair(name);
    if (shared && redis && (await redis.usable())) {
      try {
        return await op(shared);
      } catch (err) {
        if (err instanceof RateLimiterRes) throw err;
        redis.failed(err);
      }
    }
    return op(memory);
  }

  function decision(name: string, res: Res, allowed: boolean): RateDecision {
    const limit = (budgets.get(name) ?? FALLBACK_BUDGET).points;
    return { allowed, limit, remaining: Math.max(0, res.remainingPoints), retryAfterMs: allowed ? 0 : Math.max(1, res.msBeforeNext) };
  }

  return {
    async consume(name, key, cost = 1) {
      try {
        return decision(name, await run(name, (l) => l.consume(key, cost)), true);
      } catch (rej) {
        if (rej instanceof RateLimiterRes) return decision(name, rej, false);
        throw rej;
      }
    },
    async peek(name, key) {
      const res = await run(name, (l) => l.get(key));
      const limit = (budgets.get(name) ?? FALLBACK_BUDGET).points;
      if (!res) return { allowed: true, limit, remaining: limit, retryAfterMs: 0 };
      const allowed = res.remainingPoints > 0;
      return { allowed, limit, remaining: Math.max(0, res.remainingPoints), retryAfterMs: allowed ? 0 : Math.max(1, res.msBeforeNext) };
    },
    async block(name, key, seconds) {
      await run(name, (l) => l.block(key, seconds));
    },
    async reset(name, key) {
      await run(name, (l) => l.delete(key));
    },
    define(name, budget) {
      budgets.set(name, budget);
      limiters.delete(name);
    },
    mode: () => (!redis ? 'memory' : redis.up() ? 'redis' : 'fallback'),
    async close() {
      redis?.close();
    },
  };
}
