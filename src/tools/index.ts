export type { Tool, ToolContext, ToolResult, ToolProvider, PersonWait } from './types.js';
export { toolsPlugin } from './plugin.js';
export type { Approvals, ApprovalView } from './shell/index.js';
