export { loadConfig, configWarnings, decodeKey, ConfigError } from './load.js';
export type { Config, ConfigIssue } from './load.js';
export { VARIABLE_NAMES } from './variables.js';
export { configTable, envExample, readmeConfigBlock } from './docs.js';

import type { Config } from './load.js';

declare module '../core/plugin.js' {
  interface KernelBase {
    readonly config: Config;
  }
}
