export { createHearth } from './hearth.js';
export type { Hearth, CreateHearthOptions } from './hearth.js';
export { migrations } from './migrations.js';
