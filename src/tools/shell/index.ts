export { createShellParser, type ShellParser } from './parser.js';
export { createShellPolicy, type ShellPolicy } from './policy.js';
export { parseAllowlist, type AllowRule } from './allowlist.js';
export type { Classification, ShellVerdict } from './types.js';
