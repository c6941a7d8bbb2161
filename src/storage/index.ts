export { openStorage, ensureDataDir } from './database.js';
export type { Storage, Dialect, CoreTables, OpenOptions } from './database.js';
export { migrateToLatest, migrationStatus, migrateDown, columnTypes, MigrationError } from './migrations.js';
export type { Migration, MigrationState } from './migrations.js';
export { coreMigrations } from './core-migrations.js';
export { createSettingsRepository } from './settings-repository.js';
export type { SettingsRepository } from './settings-repository.js';

import type { Storage } from './database.js';
import type { SettingsRepository } from './settings-repository.js';

declare module '../core/plugin.js' {
  interface KernelBase {
    readonly storage: Storage;
    readonly settings: SettingsRepository;
  }
}
