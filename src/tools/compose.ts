import type { Config } from '../config/index.js';
import type { Logger } from '../logging/index.js';
import type { AuditLog } from '../security/audit/types.js';
import type { HearthVault } from '../security/vault/types.js';
import type { RouteModule } from '../core/index.js';
import type { Storage } from '../storage/index.js';
import { createMcpConnections, createMcpServerStore, mcpRoutes, mcpToolProvider, type McpServerStore } from './mcp/index.js';
import {
  createApprovals,
  createSandbox,
  createShellEnablement,
  createShellTool,
  lazyShellPolicy,
  parseAllowlist,
  shellRoutes,
  shellToolProvider,
  type Approvals,
  type AsyncShellPolicy,
  type ShellEnablement,
} from './shell/index.js';
import type { ToolProvider } from './types.js';

/** The tools concern as the rest of Hearth sees it. */
export interface ToolsService {
  /** The shell policy of the tool and its routes; its parser loads on the first command. */
  readonly shellPolicy: AsyncShellPolicy;
  readonly shellEnablement: ShellEnablement;
  readonly mcpServers: McpServerStore;
}

/** Builds shell (EXEC-1) and MCP (EXEC-2): their tool providers, routes and shutdown. */
export async function wireTools(options: {
  config: Config;
  storage: Storage;
  vault: HearthVault;
  audit: AuditLog;
  logger: Logger;
  now: () => number;
}) {
  const { config, storage, vault, audit, logger, now } = options;
  const allowlist = parseAllowlist(config.HEARTH_SHELL_ALLOWLIST);
  const shellPolicy = lazyShellPolicy({ allowlist });
  const sandbox = createSandbox({
    bwrapPath: config.HEARTH_SHELL_BWRAP,
    timeoutMs: config.HEARTH_SHELL_TIMEOUT_MS,
    outputLimit: config.HEARTH_SHELL_OUTPUT_LIMIT,
  });
  const approvals: Approvals = createApprovals({ audit, now });
  const shellEnablement = createShellEnablement(storage, now);
  const shellTool = createShellTool({ policy: shellPolicy, sandbox, approvals, audit, runTimeoutMs: config.HEARTH_SHELL_TIMEOUT_MS });

  const mcpServers = createMcpServerStore({ storage, vault, defaultTimeoutMs: config.HEARTH_MCP_TIMEOUT_MS, now });
  const connections = createMcpConnections({ store: mcpServers, logger });

  const providers: ToolProvider[] = [
    shellToolProvider({ tool: shellTool, enablement: shellEnablement }),
    mcpToolProvider({ store: mcpServers, connections, audit, logger }),
  ];
  const modules: RouteModule[] = [
    shellRoutes({ approvals, enablement: shellEnablement, policy: shellPolicy, sandbox, allowlist, audit }),
    mcpRoutes({ store: mcpServers, connections, audit }),
  ];
  const tools: ToolsService = { shellPolicy, shellEnablement, mcpServers };
  return {
    tools,
    approvals,
    providers,
    modules,
    async close() {
      approvals.close();
      await connections.close();
    },
  };
}
