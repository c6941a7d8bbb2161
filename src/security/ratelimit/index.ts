export type { RateLimiter, RateDecision } from './types.js';
export { createRateLimiter } from './limiter.js';
export type { Budget, HearthRateLimiter, RateLimiterOptions } from './limiter.js';
