export type { Tool, ToolContext, ToolResult, ToolProvider } from './types.js';
export { toolsPlugin } from './plugin.js';
