export { createMcpServerStore, mcpMigrations, MCP_SECRETS_COLUMN, type McpServerStore } from './store.js';
export { createMcpConnections } from './client.js';
export { mcpToolProvider } from './provider.js';
export { mcpRoutes } from './routes.js';
export { mcpForbiddenPaths } from './sandbox.js';
export { checkMcpUrl } from './url.js';
