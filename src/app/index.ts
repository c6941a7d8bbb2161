export { createHearth, migrationsOf } from './hearth.js';
export type { Hearth } from './hearth.js';
export { HEARTH_PLUGINS } from './plugins.js';
export { storageOptions } from './storage-options.js';
