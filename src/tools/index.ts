export type { Tool, ToolContext, ToolResult, ToolSuccess, ToolFailure, ToolProvider } from './types.js';
export { wireTools, type ToolsService } from './compose.js';
export { toolsPlugin } from './plugin.js';
export type { Approvals, ApprovalView } from './shell/index.js';
export { shellMigrations } from './shell/index.js';
export { mcpMigrations } from './mcp/index.js';
