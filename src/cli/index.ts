export { runCli } from './main.js';
export { CliError, EXIT, println, readStdin, withHearth, configFrom, commandLogger } from './io.js';
export type { CliIo, Command } from './io.js';
