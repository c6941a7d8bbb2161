export { loadConfig, configWarnings, decodeKey, isLoopbackHost, ConfigError } from './load.js';
export type { Config, ConfigIssue, LoadOptions } from './load.js';
export { VARIABLES, VARIABLE_NAMES } from './variables.js';
export type { VariableName, VariableSpec } from './variables.js';
export { configTable, envExample, withConfigTable, readmeConfigBlock } from './docs.js';

import type { Config } from './load.js';

declare module '../core/plugin.js' {
  interface KernelBase {
    readonly config: Config;
  }
}
