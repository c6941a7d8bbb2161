import { join } from 'node:path';
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
  workspacesFor,
} from './shell/index.js';
import { checkSandboxSettings, createFamiliarSandboxStore, type FamiliarSandboxStore } from './shell/familiar-sandbox.js';
import type { ShellFamiliarSetup } from './shell/tool.js';
import type { ToolProvider } from './types.js';

/** The tools concern as the rest of Hearth sees it. */
export interface ToolsService {
  /** The shell policy of the tool and its routes; its parser loads on the first command. */
  readonly shellPolicy: AsyncShellPolicy;
  readonly shellEnablement: ShellEnablement;
  /** Per-familiar workspaces and network destinations set in the dashboard. */
  readonly familiarSandbox: FamiliarSandboxStore;
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
  /** A familiar's slug, for HEARTH_SHELL_WORKSPACES entries named by slug; undefined when unknown. */
  familiarSlug?: (familiarId: string) => Promise<string | undefined>;
}) {
  const { config, storage, vault, audit, logger, now } = options;
  // refused at start, with the reason, before anything else is built (EXEC-1)
  // nor the .env, the TLS key or any HEARTH_*_FILE secret (a master key in /run/secrets)
  const workspaces = parseWorkspaces(config.HEARTH_SHELL_WORKSPACES, {
    dataDir: config.dataDir,
    extra: mcpForbiddenPaths(config).slice(1),
  });
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
  const familiarSandbox = createFamiliarSandboxStore(storage, now);
  // dashboard workspaces live under this root; the data directory, .env and the TLS key stay closed
  const protect = {
    root: config.HEARTH_SHELL_WORKSPACE_ROOT || join(config.dataDir, 'workspaces'),
    dataDir: config.dataDir,
    extra: mcpForbiddenPaths(config).slice(1),
  };
  const envWorkspacesFor = async (familiarId: string) =>
    workspacesFor(workspaces, { id: familiarId, slug: await options.familiarSlug?.(familiarId) });
  // checked again at every turn: a folder swapped for a symlink since it was saved is refused now
  const setupFor = async (familiarId: string): Promise<ShellFamiliarSetup> => {
    const fromEnv = await envWorkspacesFor(familiarId);
    try {
      const checked = checkSandboxSettings(await familiarSandbox.get(familiarId), protect);
      const taken = new Set(fromEnv.map((w) => w.name));
      return { workspaces: [...fromEnv, ...checked.workspaces.filter((w) => !taken.has(w.name))], network: checked.network };
    } catch (err) {
      return { workspaces: fromEnv, network: [], refused: err instanceof Error ? err.message : 'its settings are invalid' };
    }
  };
  const shellTool = (setup: ShellFamiliarSetup) =>
    createShellTool({
      policy: shellPolicy,
      sandbox,
      approvals,
      audit,
      runTimeoutMs: config.HEARTH_SHELL_TIMEOUT_MS,
      workspaces: setup.workspaces,
      network: setup.network,
      refused: setup.refused,
    });

  const mcpServers = createMcpServerStore({ storage, vault, defaultTimeoutMs: config.HEARTH_MCP_TIMEOUT_MS, now });
  // stdio servers run in the shell's sandbox and never see the data directory or Hearth's secrets (EXEC-2)
  const mcpForbidden = mcpForbiddenPaths(config);
  const connections = createMcpConnections({
    store: mcpServers,
    logger,
    sandbox: { bwrapPath: config.HEARTH_SHELL_BWRAP, forbidden: mcpForbidden },
    // refusals of a server's egress proxy are audited, as the shell's are
    onEgress: (server, e) => {
      if (e.outcome !== 'refused') return;
      void audit
        .record({
          actor: { type: 'system' },
          action: 'mcp.network.refused',
          target: server.id,
          outcome: 'denied',
          details: { server: server.name, destination: e.destination, reason: e.reason, ...(e.address ? { address: e.address } : {}) },
        })
        .catch(() => undefined);
    },
  });

  const providers: ToolProvider[] = [
    shellToolProvider({ tool: shellTool, enablement: shellEnablement, setupFor }),
    mcpToolProvider({ store: mcpServers, connections, audit, logger }),
  ];
  const modules: RouteModule[] = [
    shellRoutes({
      approvals,
      enablement: shellEnablement,
      policy: shellPolicy,
      sandbox,
      allowlist,
      audit,
      workspaces,
      familiarSandbox: { store: familiarSandbox, protect, envWorkspacesFor },
    }),
    mcpRoutes({ store: mcpServers, connections, audit, forbidden: mcpForbidden }),
  ];
  const tools: ToolsService = { shellPolicy, shellEnablement, familiarSandbox, mcpServers };
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
