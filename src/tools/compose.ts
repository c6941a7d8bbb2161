import type { Config } from '../config/index.js';
import type { Logger } from '../logging/index.js';
import type { AuditLog } from '../security/audit/types.js';
import type { HearthVault } from '../security/vault/types.js';
import type { RouteModule } from '../core/index.js';
import type { Storage } from '../storage/index.js';
import {
  createMcpConnections,
  createMcpServerStore,
  mcpForbiddenPaths,
  mcpRoutes,
  mcpToolProvider,
  type McpServerStore,
} from './mcp/index.js';
import {
  createApprovals,
  createSandbox,
  createShellEnablement,
  createShellTool,
  lazyShellPolicy,
  parseAllowlist,
  parseWorkspaces,
  shellRoutes,
  shellToolProvider,
  type Approvals,
  type AsyncShellPolicy,
  type ShellEnablement,
  type Workspace,
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
  /** Whether a Hearth person holds the owner role: only owners decide shell approvals. */
  isOwner: (userId: string) => Promise<boolean>;
}) {
  const { config, storage, vault, audit, logger, now } = options;
  // refused at start, with the reason, before anything else is built (EXEC-1)
  const workspaces = parseWorkspaces(config.HEARTH_SHELL_WORKSPACES, { dataDir: config.dataDir });
  const allowlist = parseAllowlist(config.HEARTH_SHELL_ALLOWLIST);
  const shellPolicy = lazyShellPolicy({ allowlist });
  const sandbox = createSandbox({
    bwrapPath: config.HEARTH_SHELL_BWRAP,
    timeoutMs: config.HEARTH_SHELL_TIMEOUT_MS,
    outputLimit: config.HEARTH_SHELL_OUTPUT_LIMIT,
    limits: {
      processes: config.HEARTH_SHELL_MAX_PROCESSES,
      fileBytes: config.HEARTH_SHELL_MAX_FILE_BYTES,
      diskBytes: config.HEARTH_SHELL_DISK_BYTES,
    },
  });
  const approvals: Approvals = createApprovals({
    storage,
    audit,
    now,
    isOwner: options.isOwner,
    ttlMs: config.HEARTH_SHELL_APPROVAL_TIMEOUT_MS,
  });
  // requests left open by a process that is gone expire now (audited); nothing of theirs can run
  await approvals.sweep().catch(() => 0);
  const shellEnablement = createShellEnablement(storage, now);
  const shellTool = (forFamiliar: readonly Workspace[]) =>
    createShellTool({
      policy: shellPolicy,
      sandbox,
      approvals,
      audit,
      runTimeoutMs: config.HEARTH_SHELL_TIMEOUT_MS,
      workspaces: forFamiliar,
    });

  const mcpServers = createMcpServerStore({ storage, vault, defaultTimeoutMs: config.HEARTH_MCP_TIMEOUT_MS, now });
  // stdio servers run in the shell's sandbox and never see the data directory or Hearth's secrets (EXEC-2)
  const mcpForbidden = mcpForbiddenPaths(config);
  const connections = createMcpConnections({
    store: mcpServers,
    logger,
    sandbox: { bwrapPath: config.HEARTH_SHELL_BWRAP, forbidden: mcpForbidden },
  });

  const providers: ToolProvider[] = [
    shellToolProvider({ tool: shellTool, enablement: shellEnablement, workspaces }),
    mcpToolProvider({ store: mcpServers, connections, audit, logger }),
  ];
  const modules: RouteModule[] = [
    shellRoutes({ approvals, enablement: shellEnablement, policy: shellPolicy, sandbox, allowlist, audit, workspaces }),
    mcpRoutes({ store: mcpServers, connections, audit, forbidden: mcpForbidden }),
  ];
  const tools: ToolsService = { shellPolicy, shellEnablement, mcpServers };
  return {
    tools,
    approvals,
    providers,
    modules,
    async close() {
      await approvals.close();
      await connections.close();
    },
  };
}
