/**
 * The kernel's public face: error codes, principals, the rate-limiter contract and the plugin
 * shape every concern exports. Imports nothing from other folders of src/.
 */
export { AppError, HearthError, defineErrorCodes } from './errors.js';
export type { ErrorCode } from './errors.js';
export { ROLES, SCOPES, roleAtLeast, hasScope } from './principal.js';
export type { Role, Scope, Principal, Authenticator } from './principal.js';
export type { RateLimiter, RateDecision, Budget } from './limiter.js';
export type { HearthApp, RouteModule } from './http.js';
export type { Migration, Dialect, SealedColumn } from './storage.js';
export { definePlugin } from './plugin.js';
export { isLoopbackHost, isTlsOrLoopback } from './loopback.js';
export type {
  HearthPlugin,
  PluginParts,
  Kernel,
  KernelBase,
  KernelConfig,
  Services,
  Contributions,
  PersonData,
  FamiliarData,
  Invalidator,
  Gauge,
} from './plugin.js';
