export { openStorage, ensureDataDir } from './database.js';
export type { Storage, CoreTables, OpenOptions } from './database.js';
export { applyKey, databaseKey, keyOpens, sqliteFileKind, StorageError } from './encryption.js';
export { encryptDatabaseFile } from './encrypt-file.js';
export { migrateToLatest, migrationStatus, migrateDown, columnTypes } from './migrations.js';
export type { Migration } from './migrations.js';
export { coreMigrations } from './core-migrations.js';
export { createSettingsRepository } from './settings-repository.js';
export { createQueryCache } from './precompiled.js';
export type { QueryShape } from './precompiled.js';

import type { Storage } from './database.js';
import type { SettingsRepository } from './settings-repository.js';

declare module '../core/plugin.js' {
  interface KernelBase {
    readonly storage: Storage;
    readonly settings: SettingsRepository;
  }
}
