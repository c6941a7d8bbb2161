import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { accessSync, constants, realpathSync } from 'node:fs';
import { HearthError } from '../../core/index.js';
import type { Logger } from '../../logging/index.js';
import { parseDestinations, startEgressProxy, type EgressEvent, type EgressProxy } from '../shell/network.js';
import { sandboxUser, unreachableFor } from '../shell/workspaces.js';
import { sandboxedServerArgs, type McpSandboxOptions } from './sandbox.js';
import { checkMcpUrl } from './url.js';
import type { McpServerConfig, McpServerStore } from './store.js';

/** A tool as an MCP server describes it (all of it untrusted). */
interface McpToolInfo {
  readonly name: string;
  readonly description: string;
  readonly inputSchema: Record<string, unknown>;
}

/** Live connections to operator-configured servers, opened lazily and closed on change. */
export interface McpConnections {
  listTools(server: McpServerConfig, signal?: AbortSignal): Promise<McpToolInfo[]>;
  callTool(
    server: McpServerConfig,
    tool: string,
    args: Record<string, unknown>,
    signal?: AbortSignal,
  ): Promise<{ text: string; isError: boolean }>;
  /** Drops the connection (after an update or delete). */
  forget(serverId: string): Promise<void>;
  close(): Promise<void>;
}

interface Live {
  readonly version: number;
  readonly client: Promise<Client>;
}

/** A stdio server cannot start: bubblewrap is missing, or its settings are refused. */
export class McpSandboxUnavailableError extends HearthError<'MCP_SANDBOX_UNAVAILABLE'> {}

/**
 * Opens MCP clients over streamable HTTP (https, or http to loopback) or stdio, the stdio server
 * inside the shell's bubblewrap sandbox (EXEC-2), each with its sealed credentials.
 */
export function createMcpConnections(options: {
  store: McpServerStore;
  logger: Logger;
  sandbox: McpSandboxOptions;
  /** Told of every attempt through a server's egress proxy (refusals are audited by the caller). */
  onEgress?: (server: McpServerConfig, event: EgressEvent) => void;
}): McpConnections {
  const live = new Map<string, Live>();
  const { sandbox } = options;
  const asRoot = process.getuid?.() === 0;

  /** The transport over bubblewrap; a missing sandbox or refused settings fail the connection, never run it outside. */
  const sandboxedTransport = async (server: McpServerConfig, env: Record<string, string>) => {
    for (const [what, path] of [
      ['bubblewrap', sandbox.bwrapPath],
      ['prlimit', sandbox.prlimitPath ?? '/usr/bin/prlimit'],
    ] as const) {
      try {
        accessSync(path, constants.X_OK);
      } catch {
        throw new McpSandboxUnavailableError('MCP_SANDBOX_UNAVAILABLE', `${what} is not installed at ${path}`);
      }
    }
    const refused = (err: unknown) =>
      new McpSandboxUnavailableError('MCP_SANDBOX_UNAVAILABLE', err instanceof Error ? err.message : 'refused', { cause: err });
    // network off but a destination list: the shell's egress proxy, for as long as the connection lives
    let proxy: EgressProxy | undefined;
    let egress: { dir: string; socketName: string; node: string } | undefined;
    if (!server.network && server.networkAllow.length > 0) {
      const node = realpathSync(process.execPath);
      const user = asRoot ? { uid: sandbox.uid ?? 65534, gid: sandbox.gid ?? 65534, groups: [] } : sandboxUser();
      if (unreachableFor(node, false, user) !== null)
        throw refused(new Error(`the sandbox's user cannot run Node (${node}), which carries the server's network`));
      let destinations;
      try {
        destinations = parseDestinations(server.networkAllow);
      } catch (err) {
        throw refused(err);
      }
      proxy = await startEgressProxy({ destinations, onEvent: (e) => options.onEgress?.(server, e) });
      egress = { dir: proxy.dir, socketName: proxy.socketName, node };
    }
    let args: ReturnType<typeof sandboxedServerArgs>;
    try {
      args = sandboxedServerArgs(server, env, sandbox, egress);
    } catch (err) {
      await proxy?.close();
      throw refused(err);
    }
    const { SandboxedStdioTransport } = await import('./sandboxed-stdio.js');
    return new SandboxedStdioTransport({
      bwrapPath: sandbox.bwrapPath,
      ...args,
      ...(asRoot ? { uid: sandbox.uid ?? 65534, gid: sandbox.gid ?? 65534 } : {}),
      ...(proxy ? { cleanup: () => proxy.close() } : {}),
    });
  };

  const connect = async (server: McpServerConfig): Promise<Client> => {
    const secrets = await options.store.secrets(server.id);
    // The SDK (and what it depends on: ajv, cross-spawn, …) loads with the first connection, not at start.
    const sdk = await import('@modelcontextprotocol/sdk/client/index.js');
    const client = new sdk.Client({ name: 'hearth', version: '1.0.0' });
    let transport;
    if (server.transport === 'http') {
      // a row stored before the URL rule existed is refused here too
      checkMcpUrl(server.url ?? '');
      const { StreamableHTTPClientTransport } = await import('@modelcontextprotocol/sdk/client/streamableHttp.js');
      transport = new StreamableHTTPClientTransport(new URL(server.url ?? ''), {
        requestInit: { headers: secrets.headers, redirect: 'error' },
      });
    } else {
      transport = await sandboxedTransport(server, secrets.env);
    }
    const timer = AbortSignal.timeout(server.timeoutMs);
    try {
      await client.connect(transport, { timeout: server.timeoutMs, signal: timer });
    } catch (err) {
      await transport.close().catch(() => undefined);
      throw err;
    }
    return client;
  };

  const clientFor = (server: McpServerConfig): Promise<Client> => {
    const existing = live.get(server.id);
    if (existing && existing.version === server.updatedAt) return existing.client;
    if (existing) void existing.client.then((c) => c.close()).catch(() => undefined);
    const client = connect(server);
    live.set(server.id, { version: server.updatedAt, client });
    // a server that exits (or a sandbox that is killed) is started afresh on the next call
    void client.then(
      (c) => {
        c.onclose = () => {
          if (live.get(server.id)?.client === client) live.delete(server.id);
        };
      },
      () => undefined,
    );
    client.catch(() => {
      if (live.get(server.id)?.client === client) live.delete(server.id);
    });
    return client;
  };

  const requestOptions = (server: McpServerConfig, signal?: AbortSignal) => ({ timeout: server.timeoutMs, ...(signal ? { signal } : {}) });

  return {
    async listTools(server, signal) {
      const client = await clientFor(server);
      const result = await client.listTools(undefined, requestOptions(server, signal));
      return result.tools.map((t) => ({
        name: t.name,
        description: t.description ?? '',
        inputSchema: t.inputSchema as Record<string, unknown>,
      }));
    },
    async callTool(server, tool, args, signal) {
      const client = await clientFor(server);
      const result = await client.callTool({ name: tool, arguments: args }, undefined, requestOptions(server, signal));
      const parts = Array.isArray(result.content) ? (result.content as Array<{ type: string; text?: string }>) : [];
      const text = parts.map((p) => (p.type === 'text' ? (p.text ?? '') : `[${p.type} content omitted]`)).join('\n');
      return { text, isError: result.isError === true };
    },
    async forget(serverId) {
      const existing = live.get(serverId);
      live.delete(serverId);
      if (existing) await existing.client.then((c) => c.close()).catch(() => undefined);
    },
    async close() {
      const all = [...live.keys()];
      await Promise.all(all.map((id) => this.forget(id)));
      options.logger.debug({ closed: all.length }, 'MCP connections closed');
    },
  };
}
