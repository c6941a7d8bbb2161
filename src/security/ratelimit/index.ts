export type { RateLimiter } from './types.js';
export { createRateLimiter } from './limiter.js';
export type { HearthRateLimiter } from './limiter.js';

import type { HearthRateLimiter } from './limiter.js';

declare module '../../core/plugin.js' {
  interface KernelBase {
    /** One limiter for HTTP and chat channels (HTTP-3); plugins declare their budgets. */
    readonly limiter: HearthRateLimiter;
  }
}
