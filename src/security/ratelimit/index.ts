export type { RateLimiter, RateDecision } from './types.js';
