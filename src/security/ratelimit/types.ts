export type { RateDecision, RateLimiter } from '../../core/index.js';
