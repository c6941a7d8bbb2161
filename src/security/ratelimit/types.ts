export type { RateLimiter } from '../../core/index.js';
