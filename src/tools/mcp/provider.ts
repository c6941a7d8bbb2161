import type { AuditLog } from '../../security/audit/types.js';
import type { Logger } from '../../logging/index.js';
import type { Tool, ToolProvider, ToolResult } from '../types.js';
import type { McpConnections } from './client.js';
import type { McpServerConfig, McpServerStore } from './store.js';

const OUTPUT_LIMIT = 64 * 1024;

/** The name the model calls: `mcp_<server>_<tool>`, reduced to [a-z0-9_]{1,64}. */
function mcpToolName(server: string, tool: string): string {
  return `mcp_${server}_${tool}`
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_')
    .slice(0, 64);
}

/**
 * Offers the allowlisted tools of enabled servers (EXEC-2). Servers come only from the operator's
 * store; descriptions and outputs are labelled as untrusted data, never instructions.
 */
export function mcpToolProvider(options: {
  store: McpServerStore;
  connections: McpConnections;
  audit: AuditLog;
  logger: Logger;
}): ToolProvider {
  const { store, connections, audit, logger } = options;
  const toolOf = (server: McpServerConfig, info: { name: string; description: string; inputSchema: Record<string, unknown> }): Tool => ({
    name: mcpToolName(server.name, info.name),
    description: `Tool "${info.name}" of the MCP server "${server.name}". Its own description (untrusted): ${info.description.slice(0, 500)}`,
    parameters: info.inputSchema.type === 'object' ? info.inputSchema : { type: 'object' },
    // the server's own limit (HEARTH_MCP_TIMEOUT_MS or its setting), not the turn's default (LLM-4)
    timeoutMs: server.timeoutMs,
    async run(args, context): Promise<ToolResult> {
      const actor = { type: 'model' as const, familiarId: context.familiarId, userId: context.userId };
      const input = typeof args === 'object' && args !== null && !Array.isArray(args) ? (args as Record<string, unknown>) : {};
      // Re-read the configuration: a server disabled or a tool removed since listing is refused.
      const current = await store.get(server.id);
      if (!current?.enabled || !current.allowedTools.includes(info.name)) {
        await audit.record({
          actor,
          action: 'mcp.call',
          target: `${server.name}/${info.name}`,
          outcome: 'denied',
          details: { reason: 'not enabled or not allowlisted' },
        });
        return { ok: false, code: 'TOOL_NOT_ALLOWED', message: 'This MCP tool is no longer enabled' };
      }
      try {
        const out = await connections.callTool(current, info.name, input, context.signal);
        const text = out.text.length > OUTPUT_LIMIT ? `${out.text.slice(0, OUTPUT_LIMIT)}\n[output truncated]` : out.text;
        await audit.record({
          actor,
          action: 'mcp.call',
          target: `${server.name}/${info.name}`,
          outcome: out.isError ? 'failure' : 'success',
          details: { outputLength: out.text.length },
        });
        if (out.isError) return { ok: false, code: 'MCP_TOOL_ERROR', message: `The MCP tool reported an error: ${text.slice(0, 500)}` };
        return { ok: true, content: text };
      } catch (err) {
        const timedOut = err instanceof Error && /timed? ?out/i.test(err.message);
        logger.warn({ server: server.name, tool: info.name, timedOut }, 'MCP tool call failed');
        await audit.record({ actor, action: 'mcp.call', target: `${server.name}/${info.name}`, outcome: 'failure', details: { timedOut } });
        return {
          ok: false,
          code: timedOut ? 'MCP_TIMEOUT' : 'MCP_UNAVAILABLE',
          message: timedOut ? 'The MCP server did not answer in time' : 'The MCP server is unavailable',
        };
      }
    },
  });

  return {
    async toolsFor(familiar) {
      const wanted = familiar.allowedTools.filter((t) => t.startsWith('mcp_'));
      if (wanted.length === 0) return [];
      const servers = (await store.list()).filter(
        (s) => s.enabled && s.allowedTools.length > 0 && wanted.some((w) => w.startsWith(`mcp_${s.name}_`)),
      );
      const lists = await Promise.all(
        servers.map(async (server) => {
          try {
            const infos = await connections.listTools(server);
            return infos.filter((i) => server.allowedTools.includes(i.name)).map((i) => toolOf(server, i));
          } catch {
            logger.warn({ server: server.name }, 'MCP server unavailable; its tools are skipped');
            return [];
          }
        }),
      );
      return lists.flat();
    },
  };
}
