export { createShellParser, type ShellParser } from './parser.js';
export { createShellPolicy, lazyShellPolicy, type AsyncShellPolicy, type ShellPolicy } from './policy.js';
export { parseAllowlist } from './allowlist.js';
export { createSandbox } from './sandbox.js';
export { createApprovals, type Approvals, type ApprovalView } from './approvals.js';
export { createShellEnablement, shellMigrations, type ShellEnablement } from './enablement.js';
export { createShellTool, shellToolProvider } from './tool.js';
export { shellRoutes } from './routes.js';
