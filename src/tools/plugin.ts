import { definePlugin } from '../core/index.js';
import { wireTools, type ToolsService } from './compose.js';
import { MCP_SECRETS_COLUMN, mcpMigrations } from './mcp/index.js';
import { familiarSandboxMigrations } from './shell/familiar-sandbox.js';
import { approvalMigrations, shellApprovalPersonData, shellMigrations, type Approvals } from './shell/index.js';

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
  migrations: [...shellMigrations, ...approvalMigrations, ...mcpMigrations, ...familiarSandboxMigrations],
  sealedColumns: [MCP_SECRETS_COLUMN],
  async init(kernel) {
    const { config, storage, vault, audit, logger, now } = kernel;
    const identity = kernel.service('identity');
    const isOwner = async (userId: string) => (await identity.findUserById(userId))?.role === 'owner';
    const familiars = kernel.optional('familiars');
    const familiarSlug = async (id: string) => (await familiars?.get(id))?.slug;
    const wired = await wireTools({ config, storage, vault, audit, logger, now, isOwner, familiarSlug });
    return {
      services: { tools: wired.tools, approvals: wired.approvals },
      routes: wired.modules,
      contributes: {
        toolProviders: wired.providers,
        // The commands a person's turns asked to run are that person's data (DATA-5).
        personData: [shellApprovalPersonData(storage)],
        // A familiar's tool settings (shell enablement) go with it when its data is deleted.
        familiarData: [
          {
            part: 'tools',
            count: async (familiarId) => {
              const sandbox = await wired.tools.familiarSandbox.get(familiarId);
              return {
                shellEnabled: (await wired.tools.shellEnablement.isEnabled(familiarId)) ? 1 : 0,
                // only when set, so the counts of a familiar without sandbox settings stay as they were
                ...(sandbox.updatedAt === null ? {} : { shellSandbox: 1 }),
              };
            },
            erase: async (familiarId) => ({
              shellEnabled: (await wired.tools.shellEnablement.disable(familiarId)) ? 1 : 0,
              ...((await wired.tools.familiarSandbox.remove(familiarId)) ? { shellSandbox: 1 } : {}),
            }),
          },
        ],
      },
      close: () => wired.close(),
    };
  },
});
