export { loadConfig, configWarnings, decodeKey, isLoopbackHost, ConfigError } from './load.js';
export type { Config, ConfigIssue, LoadOptions } from './load.js';
export { VARIABLES, VARIABLE_NAMES } from './variables.js';
export type { VariableName, VariableSpec } from './variables.js';
export { configTable, envExample, withConfigTable, readmeConfigBlock } from './docs.js';
