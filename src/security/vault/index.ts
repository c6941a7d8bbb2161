export type { Vault, SecretLocation } from './types.js';
export { maskSecret } from './types.js';
