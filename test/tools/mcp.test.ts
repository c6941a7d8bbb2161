import { createServer, type Server } from 'node:http';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHearth, type TestHearth } from '../support/hearth.js';
import { userWithKey } from '../identity/helpers.js';
import { buildTestMcpServer } from './fixtures/mcp-server.js';
import { PROBE, PROBE_READ_PATHS } from './fixtures/probe-bundle.js';
import type { ToolContext } from '../../src/tools/index.js';

// stdio servers run in the bubblewrap sandbox (#16): node from /usr, the fixture and node_modules bound read-only
const STDIO_SERVER = PROBE;
const READ_PATHS = PROBE_READ_PATHS;
const TOKEN = 'mcp-token-' + Math.random().toString(36).slice(2);

describe('EXEC-2 MCP servers configured by the operator', () => {
  let t: TestHearth;
  let ownerKey = '';
  let adminKey = '';
  let http: Server;
  let httpUrl = '';
  let unauthorized = 0;
  beforeAll(async () => {
    t = await startTestHearth({ db: 'sqlite' });
    ownerKey = (await userWithKey(t, 'owen', 'owner', ['read', 'write', 'admin'])).key;
    adminKey = (await userWithKey(t, 'ada', 'admin', ['read', 'write', 'admin'])).key;
    http = createServer((req, res) => {
      if (req.headers.authorization !== `Bearer ${TOKEN}`) {
        unauthorized++;
        res.writeHead(401).end();
        return;
      }
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      const server = buildTestMcpServer();
      res.on('close', () => void transport.close().then(() => server.close()));
      void server.connect(transport).then(() => transport.handleRequest(req, res));
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    httpUrl = `http://127.0.0.1:${(http.address() as { port: number }).port}/mcp`;
  });
  afterAll(async () => {
    await t?.close();
    http?.closeAllConnections();
    await new Promise((r) => http?.close(r));
  });

  const ctx = (): ToolContext => ({
    userId: 'u1',
    familiarId: 'f1',
    conversationId: 'c1',
    signal: new AbortController().signal,
    audit: t.hearth.audit,
  });
  const post = (payload: unknown, key = ownerKey) =>
    t.app.inject({ method: 'POST', url: '/api/mcp/servers', headers: { 'x-api-key': key }, payload: payload as Record<string, unknown> });
  const toolsFor = async (allowedTools: string[]) => {
    // The same provider the composition root pushes onto toolProviders, over the Hearth's own store.
    const { mcpToolProvider, createMcpConnections } = await import('../../src/tools/mcp/index.js');
    const connections = createMcpConnections({
      store: t.hearth.tools.mcpServers,
      logger: t.logger,
      sandbox: { bwrapPath: '/usr/bin/bwrap', forbidden: [t.dataDir] },
    });
    const provider = mcpToolProvider({ store: t.hearth.tools.mcpServers, connections, audit: t.hearth.audit, logger: t.logger });
    return { tools: await provider.toolsFor({ id: 'f1', allowedTools }), close: () => connections.close() };
  };

  it('only the owner can add a server; admins and anonymous callers cannot', async () => {
    expect((await post({ name: 'nope', transport: 'stdio', command: '/bin/true' }, adminKey)).statusCode).toBe(403);
    expect(
      (await t.app.inject({ method: 'POST', url: '/api/mcp/servers', payload: { name: 'nope', transport: 'stdio', command: '/bin/true' } }))
        .statusCode,
    ).toBe(401);
    const bad = await post({ name: 'x', transport: 'stdio', command: '/bin/true', shell: true });
    expect(bad.statusCode).toBe(400);
  });

  it('a stdio server: credentials sealed and delivered, allowlist enforced, output untrusted, timeouts', async () => {
    const created = await post({
      name: 'local',
      transport: 'stdio',
      command: 'node',
      args: [STDIO_SERVER],
      readPaths: READ_PATHS,
      enabled: true,
      allowedTools: ['echo', 'whoami_env', 'slow'],
      timeoutMs: 15_000,
      secrets: { env: { TEST_MCP_TOKEN: TOKEN } },
    });
    expect(created.statusCode).toBe(201);
    const server = (created.json() as { server: { id: string; secrets: { env: Record<string, string> } } }).server;
    expect(server.secrets.env.TEST_MCP_TOKEN).toBe(`••••${TOKEN.slice(-4)}`);
    expect(created.body).not.toContain(TOKEN);
    const row = await t.hearth.storage.db
      .withTables<{ mcp_servers: { id: string; secrets_sealed: string } }>()
      .selectFrom('mcp_servers')
      .select('secrets_sealed')
      .where('id', '=', server.id)
      .executeTakeFirstOrThrow();
    expect(row.secrets_sealed).not.toContain(TOKEN);

    const listed = await t.app.inject({ method: 'GET', url: `/api/mcp/servers/${server.id}/tools`, headers: { 'x-api-key': ownerKey } });
    expect((listed.json() as { tools: Array<{ name: string }> }).tools.map((x) => x.name).sort()).toEqual([
      'crash',
      'dangerous',
      'echo',
      'env',
      'fetch',
      'read',
      'slow',
      'tunnel',
      'whoami_env',
      'write',
    ]);

    const savedKey = process.env.HEARTH_MASTER_KEY;
    process.env.HEARTH_MASTER_KEY = 'server-master-key-must-not-leak';
    const { tools, close } = await toolsFor(['mcp_local_echo', 'mcp_local_whoami_env', 'mcp_local_dangerous', 'mcp_local_slow']).finally(
      () => {
        if (savedKey === undefined) delete process.env.HEARTH_MASTER_KEY;
        else process.env.HEARTH_MASTER_KEY = savedKey;
      },
    );
    try {
      const names = tools.map((x) => x.name).sort();
      expect(names).toEqual(['mcp_local_echo', 'mcp_local_slow', 'mcp_local_whoami_env']);
      const echo = tools.find((x) => x.name === 'mcp_local_echo')!;
      expect(echo.description).toContain('untrusted');
      expect(await echo.run({ text: 'hi' }, ctx())).toEqual({ ok: true, content: 'echo: hi' });
      const env = await tools.find((x) => x.name === 'mcp_local_whoami_env')!.run({}, ctx());
      expect(env.ok && env.content).toContain(`token=${TOKEN}`);
      expect(env.ok && env.content).toContain('master=none');

      await t.app.inject({
        method: 'PATCH',
        url: `/api/mcp/servers/${server.id}`,
        headers: { 'x-api-key': ownerKey },
        payload: { timeoutMs: 500 },
      });
      const slow = await tools.find((x) => x.name === 'mcp_local_slow')!.run({}, ctx());
      expect(slow).toMatchObject({ ok: false, code: 'MCP_TIMEOUT' });

      await t.app.inject({
        method: 'PATCH',
        url: `/api/mcp/servers/${server.id}`,
        headers: { 'x-api-key': ownerKey },
        payload: { enabled: false },
      });
      expect(await echo.run({ text: 'again' }, ctx())).toMatchObject({ ok: false, code: 'TOOL_NOT_ALLOWED' });
    } finally {
      await close();
    }
    const audited = await t.hearth.audit.list({ action: 'mcp.' });
    expect(audited.map((e) => e.action)).toEqual(expect.arrayContaining(['mcp.server.create', 'mcp.server.update', 'mcp.call']));
  });

  it('a streamable HTTP server receives its sealed header; a disabled or unlisted server offers nothing', async () => {
    const created = await post({
      name: 'remote',
      transport: 'http',
      url: httpUrl,
      enabled: true,
      allowedTools: ['echo'],
      secrets: { headers: { Authorization: `Bearer ${TOKEN}` } },
    });
    expect(created.statusCode).toBe(201);
    const { tools, close } = await toolsFor(['mcp_remote_echo', 'mcp_remote_dangerous']);
    try {
      expect(tools.map((x) => x.name)).toEqual(['mcp_remote_echo']);
      expect(await tools[0]!.run({ text: 'over http' }, ctx())).toEqual({ ok: true, content: 'echo: over http' });
      expect(unauthorized).toBe(0);
    } finally {
      await close();
    }
    const none = await toolsFor(['shell']);
    expect(none.tools).toEqual([]);
    await none.close();
    const list = await t.app.inject({ method: 'GET', url: '/api/mcp/servers', headers: { 'x-api-key': ownerKey } });
    expect(list.body).not.toContain(TOKEN);
  });
});
