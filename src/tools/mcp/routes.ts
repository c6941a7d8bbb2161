import { z } from 'zod';
import { AppError, type RouteModule } from '../../core/index.js';
import { policy, requirePrincipal } from '../../server/index.js';
import type { AuditLog } from '../../security/audit/types.js';
import { actorOf } from '../actor.js';
import { McpSandboxUnavailableError, type McpConnections } from './client.js';
import type { McpServerStore } from './store.js';
import { checkReadPaths } from './sandbox.js';
import { checkMcpUrl } from './url.js';
import { destinationKey, parseDestinations } from '../shell/network.js';

const secrets = z.strictObject({
  env: z.record(z.string().regex(/^[A-Z_][A-Z0-9_]{0,63}$/), z.string().max(4096)).default({}),
  headers: z.record(z.string().regex(/^[A-Za-z0-9-]{1,64}$/), z.string().max(4096)).default({}),
});
const toolName = z.string().min(1).max(128);
const common = {
  command: z.string().min(1).max(1024).optional(),
  args: z.array(z.string().max(4096)).max(64).optional(),
  url: z
    .string()
    .url()
    .max(2048)
    .refine((u) => /^https?:\/\//.test(u), 'must be http(s)')
    .optional(),
  enabled: z.boolean().optional(),
  allowedTools: z.array(toolName).max(200).optional(),
  timeoutMs: z.number().int().min(100).max(600_000).optional(),
  /** stdio only: network inside the sandbox (off by default) and host paths it may read. */
  network: z.boolean().optional(),
  readPaths: z.array(z.string().min(1).max(1024)).max(32).optional(),
  /** stdio only, with network off: host:port destinations through Hearth's egress proxy. */
  networkAllow: z.array(z.string().min(1).max(300)).max(64).optional(),
  secrets: secrets.optional(),
};
const createBody = z.strictObject({
  name: z.string().regex(/^[a-z0-9]{1,24}$/, 'lowercase letters and digits, 1-24'),
  transport: z.enum(['stdio', 'http']),
  ...common,
});
const patchBody = z.strictObject(common);
const params = z.strictObject({ id: z.string().min(1).max(100) });

/**
 * /api/mcp/servers: the owner (the operator) adds, changes and removes MCP servers; the model
 * can never reach these routes (EXEC-2). Stored credentials are shown masked, never returned.
 */
export function mcpRoutes(options: {
  store: McpServerStore;
  connections: McpConnections;
  audit: AuditLog;
  /** Paths a stdio server's readPaths may never show (the data directory, keys). */
  forbidden: readonly string[];
}): RouteModule {
  const { store, connections, audit, forbidden } = options;
  /** The sandbox settings belong to stdio servers; their paths are checked before anything is stored. */
  const checkSandbox = (
    transport: 'stdio' | 'http',
    body: { network?: boolean | undefined; readPaths?: string[] | undefined; networkAllow?: string[] | undefined },
    current?: { network: boolean; networkAllow: readonly string[] },
  ) => {
    if (transport === 'http' && (body.network !== undefined || body.readPaths !== undefined || body.networkAllow !== undefined))
      throw new AppError('BAD_REQUEST', 'network, networkAllow and readPaths apply to stdio servers only');
    if (body.readPaths) checkReadPaths(body.readPaths, forbidden);
    let canonical: string[] | undefined;
    if (body.networkAllow) {
      try {
        canonical = parseDestinations(body.networkAllow).map(destinationKey);
      } catch (err) {
        throw new AppError('BAD_REQUEST', err instanceof Error ? err.message : 'invalid destination', { reason: 'MCP_NETWORK_REFUSED' });
      }
    }
    const network = body.network ?? current?.network ?? false;
    const allow = body.networkAllow ?? current?.networkAllow ?? [];
    if (network && allow.length > 0)
      throw new AppError('BAD_REQUEST', 'network: true shares the host network; use either it or a networkAllow list', {
        reason: 'MCP_NETWORK_REFUSED',
      });
    return canonical ? { ...body, networkAllow: canonical } : body;
  };
  const view = async (id: string) => {
    const server = await store.get(id);
    if (!server) throw new AppError('NOT_FOUND', 'MCP server not found');
    return { ...server, secrets: await store.maskedSecrets(id) };
  };
  return (app) => {
    app.get('/api/mcp/servers', { config: { policy: policy.owner() } }, async () => ({
      servers: await Promise.all((await store.list()).map((s) => view(s.id))),
    }));

    app.post('/api/mcp/servers', { config: { policy: policy.owner() }, schema: { body: createBody } }, async (request, reply) => {
      const body = request.body as z.infer<typeof createBody>;
      if (body.transport === 'stdio' && (!body.command || body.url))
        throw new AppError('BAD_REQUEST', 'A stdio server needs a command and no url');
      if (body.transport === 'http' && (!body.url || body.command))
        throw new AppError('BAD_REQUEST', 'An http server needs a url and no command');
      if (body.url !== undefined) checkMcpUrl(body.url);
      const checked = checkSandbox(body.transport, body);
      if ((await store.list()).some((s) => s.name === body.name)) throw new AppError('CONFLICT', 'An MCP server with this name exists');
      const server = await store.create({ ...body, ...checked });
      await audit.record({
        actor: actorOf(requirePrincipal(request)),
        action: 'mcp.server.create',
        target: server.id,
        outcome: 'success',
        requestId: request.id,
        details: { name: body.name, transport: body.transport, enabled: server.enabled, network: server.network },
      });
      reply.code(201);
      return { server: await view(server.id) };
    });

    app.patch('/api/mcp/servers/:id', { config: { policy: policy.owner() }, schema: { params, body: patchBody } }, async (request) => {
      const { id } = request.params as z.infer<typeof params>;
      const body = request.body as z.infer<typeof patchBody>;
      const current = await store.get(id);
      if (!current) throw new AppError('NOT_FOUND', 'MCP server not found');
      if (current.transport === 'stdio' && body.url !== undefined) throw new AppError('BAD_REQUEST', 'A stdio server has no url');
      if (current.transport === 'http' && body.command !== undefined) throw new AppError('BAD_REQUEST', 'An http server has no command');
      if (body.url !== undefined) checkMcpUrl(body.url);
      const checked = checkSandbox(current.transport, body, current);
      await store.update(id, { ...body, ...checked });
      await connections.forget(id);
      await audit.record({
        actor: actorOf(requirePrincipal(request)),
        action: 'mcp.server.update',
        target: id,
        outcome: 'success',
        requestId: request.id,
        details: { fields: Object.keys(body) },
      });
      return { server: await view(id) };
    });

    app.delete('/api/mcp/servers/:id', { config: { policy: policy.owner() }, schema: { params } }, async (request) => {
      const { id } = request.params as z.infer<typeof params>;
      if (!(await store.remove(id))) throw new AppError('NOT_FOUND', 'MCP server not found');
      await connections.forget(id);
      await audit.record({
        actor: actorOf(requirePrincipal(request)),
        action: 'mcp.server.delete',
        target: id,
        outcome: 'success',
        requestId: request.id,
      });
      return { deleted: true };
    });

    app.get('/api/mcp/servers/:id/tools', { config: { policy: policy.owner() }, schema: { params } }, async (request) => {
      const { id } = request.params as z.infer<typeof params>;
      const server = await store.get(id);
      if (!server) throw new AppError('NOT_FOUND', 'MCP server not found');
      try {
        const tools = await connections.listTools(server);
        return { tools: tools.map((t) => ({ name: t.name, description: t.description, allowed: server.allowedTools.includes(t.name) })) };
      } catch (err) {
        if (err instanceof McpSandboxUnavailableError)
          throw new AppError('BAD_GATEWAY', `The MCP server could not be started: ${err.message}`);
        throw new AppError('BAD_GATEWAY', 'The MCP server could not be reached');
      }
    });
  };
}
