export type { Vault, HearthVault } from './types.js';
export { maskSecret, VaultError } from './types.js';
export { createVault } from './vault.js';
export { resolveMasterKey } from './master-key.js';
export { vaultMigrations } from './migrations.js';
export { dataKey, DATA_KEYS_COLUMN, destroyDataKeys, openDataKeys } from './data-keys.js';
export { rotateKeys } from './rotate.js';

import type { HearthVault } from './types.js';

declare module '../../core/plugin.js' {
  interface KernelBase {
    /** Seals every stored credential (DATA-1). */
    readonly vault: HearthVault;
  }
}
