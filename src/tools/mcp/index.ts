export { createMcpServerStore, mcpMigrations, MCP_SECRETS_COLUMN, type McpServerConfig, type McpServerStore, type McpSecrets } from './store.js';
export { createMcpConnections, type McpConnections } from './client.js';
export { mcpToolProvider, mcpToolName } from './provider.js';
export { mcpRoutes } from './routes.js';
