export type { Tool, ToolContext, ToolResult, ToolSuccess, ToolFailure, ToolProvider } from './types.js';
