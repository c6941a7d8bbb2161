export { createShellParser, type ShellParser } from './parser.js';
export { createShellPolicy, type ShellPolicy } from './policy.js';
export { parseAllowlist, type AllowRule } from './allowlist.js';
export type { Classification, ShellVerdict } from './types.js';
export { createSandbox, SandboxUnavailableError, type Sandbox, type SandboxResult } from './sandbox.js';
export { createApprovals, APPROVAL_TTL_MS, hashCommand, type Approvals, type ApprovalView } from './approvals.js';
export { createShellEnablement, shellMigrations, type ShellEnablement } from './enablement.js';
export { createShellTool, shellToolProvider, SHELL_TOOL_NAME } from './tool.js';
export { shellRoutes } from './routes.js';
