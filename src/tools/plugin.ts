import { definePlugin } from '../core/index.js';
import { wireTools, type ToolsService } from './compose.js';
import { MCP_SECRETS_COLUMN, mcpMigrations } from './mcp/index.js';
import { shellMigrations, type Approvals } from './shell/index.js';

declare module '../core/plugin.js' {
  interface Services {
    /** Shell policy and per-familiar enablement, MCP servers (EXEC-1, EXEC-2). */
    tools: ToolsService;
    /** Pending shell approvals (EXEC-1). */
    approvals: Approvals;
  }
}

/** The sandboxed shell and MCP servers: their tool providers, routes and shutdown. */
export const toolsPlugin = definePlugin({
  name: 'tools',
  migrations: [...shellMigrations, ...mcpMigrations],
  sealedColumns: [MCP_SECRETS_COLUMN],
  async init({ config, storage, vault, audit, logger, now }) {
    const wired = await wireTools({ config, storage, vault, audit, logger, now });
    return {
      services: { tools: wired.tools, approvals: wired.approvals },
      routes: wired.modules,
      contributes: {
        toolProviders: wired.providers,
        // A familiar's tool settings (shell enablement) go with it when its data is deleted.
        familiarData: [
          {
            part: 'tools',
            count: async (familiarId) => ({ shellEnabled: (await wired.tools.shellEnablement.isEnabled(familiarId)) ? 1 : 0 }),
            erase: async (familiarId) => ({ shellEnabled: (await wired.tools.shellEnablement.disable(familiarId)) ? 1 : 0 }),
          },
        ],
      },
      close: () => wired.close(),
    };
  },
});
