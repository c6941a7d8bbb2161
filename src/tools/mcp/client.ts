import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Logger } from '../../logging/index.js';
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

/** Environment for stdio servers: a PATH and the sealed credentials, nothing else of Hearth's. */
function stdioEnv(secretsEnv: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin', ...secretsEnv };
}

/** Opens MCP clients over stdio or streamable HTTP with the sealed credentials (EXEC-2). */
export function createMcpConnections(options: { store: McpServerStore; logger: Logger }): McpConnections {
  const live = new Map<string, Live>();

  const connect = async (server: McpServerConfig): Promise<Client> => {
    const secrets = await options.store.secrets(server.id);
    // The SDK (and what it depends on: ajv, cross-spawn, …) loads with the first connection, not at start.
    const sdk = await import('@modelcontextprotocol/sdk/client/index.js');
    const client = new sdk.Client({ name: 'hearth', version: '1.0.0' });
    let transport;
    if (server.transport === 'http') {
      const { StreamableHTTPClientTransport } = await import('@modelcontextprotocol/sdk/client/streamableHttp.js');
      transport = new StreamableHTTPClientTransport(new URL(server.url ?? ''), {
        requestInit: { headers: secrets.headers, redirect: 'error' },
      });
    } else {
      const { StdioClientTransport } = await import('@modelcontextprotocol/sdk/client/stdio.js');
      transport = new StdioClientTransport({
        command: server.command ?? '',
        args: [...server.args],
        env: stdioEnv(secrets.env),
        stderr: 'ignore',
      });
    }
    const timer = AbortSignal.timeout(server.timeoutMs);
    await client.connect(transport, { timeout: server.timeoutMs, signal: timer });
    return client;
  };

  const clientFor = (server: McpServerConfig): Promise<Client> => {
    const existing = live.get(server.id);
    if (existing && existing.version === server.updatedAt) return existing.client;
    if (existing) void existing.client.then((c) => c.close()).catch(() => undefined);
    const client = connect(server);
    live.set(server.id, { version: server.updatedAt, client });
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
