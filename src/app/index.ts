import type { HearthPlugin, Migration } from '../core/index.js';
import { migrationsFor } from './hearth.js';
import { HEARTH_PLUGINS } from './plugins.js';

export { createHearth } from './hearth.js';
export type { Hearth } from './hearth.js';
export { HEARTH_PLUGINS } from './plugins.js';
export { storageOptions } from './storage-options.js';

/** The kernel's own tables (core, vault data keys, audit) and every plugin's, in application order. */
export function migrationsOf(plugins: readonly HearthPlugin[] = HEARTH_PLUGINS): readonly Migration[] {
  return migrationsFor(plugins);
}
