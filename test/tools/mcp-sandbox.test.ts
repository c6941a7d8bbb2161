import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_ENV } from '../../src/tools/shell/sandbox.js';
import type { ToolContext } from '../../src/tools/index.js';
import { createMcpConnections, mcpToolProvider } from '../../src/tools/mcp/index.js';
import { userWithKey } from '../identity/helpers.js';
import { startTestHearth, type TestHearth } from '../support/hearth.js';
import { PROBE, PROBE_READ_PATHS } from './fixtures/probe-bundle.js';

const READ_PATHS = PROBE_READ_PATHS;
const TOKEN = `mcp-sealed-${Math.random().toString(36).slice(2)}`;
const HOST_SECRET = `hearth-env-secret-${Math.random().toString(36).slice(2)}`;

describe('#16 mcp sandbox: stdio servers run in the shell sandbox (EXEC-2, EXEC-1)', () => {
  let t: TestHearth;
  let ownerKey = '';
  let web: Server;
  let webUrl = '';
  beforeAll(async () => {
    t = await startTestHearth({ db: 'sqlite' });
    ownerKey = (await userWithKey(t, 'owen', 'owner', ['read', 'write', 'admin'])).key;
    writeFileSync(join(t.dataDir, 'probe-secret.txt'), 'DATA-DIR-CONTENT');
    web = createServer((_req, res) => res.writeHead(200).end('reached'));
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
    webUrl = `http://127.0.0.1:${(web.address() as { port: number }).port}/`;
  });
  afterAll(async () => {
    await t?.close();
    web?.closeAllConnections();
    await new Promise((r) => web?.close(r));
  });

  const ctx = (): ToolContext => ({
    userId: 'u1',
    familiarId: 'f1',
    conversationId: 'c1',
    signal: new AbortController().signal,
    audit: t.hearth.audit,
  });
  const post = (payload: Record<string, unknown>) =>
    t.app.inject({ method: 'POST', url: '/api/mcp/servers', headers: { 'x-api-key': ownerKey }, payload });
  const probeServer = async (name: string, extra: Record<string, unknown> = {}) => {
    const res = await post({
      name,
      transport: 'stdio',
      command: 'node',
      args: [PROBE],
      readPaths: READ_PATHS,
      enabled: true,
      allowedTools: ['echo', 'env', 'read', 'write', 'fetch', 'crash'],
      timeoutMs: 20_000,
      secrets: { env: { TEST_MCP_TOKEN: TOKEN } },
      ...extra,
    });
    expect(res.statusCode, res.body).toBe(201);
    return (res.json() as { server: { id: string } }).server.id;
  };
  /** The tools of one server through the real provider, connected while Hearth's environment holds a secret. */
  const toolsOf = async (name: string, bwrapPath = '/usr/bin/bwrap') => {
    const connections = createMcpConnections({
      store: t.hearth.tools.mcpServers,
      logger: t.logger,
      sandbox: { bwrapPath, forbidden: [t.dataDir] },
    });
    const provider = mcpToolProvider({ store: t.hearth.tools.mcpServers, connections, audit: t.hearth.audit, logger: t.logger });
    process.env.HEARTH_PROBE_SECRET = HOST_SECRET;
    try {
      const tools = await provider.toolsFor({
        id: 'f1',
        allowedTools: ['echo', 'env', 'read', 'write', 'fetch', 'crash'].map((x) => `mcp_${name}_${x}`),
      });
      const call = async (tool: string, args: Record<string, unknown> = {}) => {
        const found = tools.find((x) => x.name === `mcp_${name}_${tool}`);
        if (!found) throw new Error(`no tool ${tool}`);
        const out = await found.run(args, ctx());
        if (!out.ok) throw new Error(`${tool} failed: ${out.code}`);
        return out.content;
      };
      return { tools, call, close: () => connections.close() };
    } finally {
      delete process.env.HEARTH_PROBE_SECRET;
    }
  };

  it('#16 mcp sandbox: the server still works as an MCP server, with its sealed variables and nothing of Hearth’s environment', async () => {
    await probeServer('probe');
    // through the real wiring (src/tools/compose.ts) as the dashboard lists tools
    const listed = await t.app.inject({
      method: 'GET',
      url: `/api/mcp/servers/${(await t.hearth.tools.mcpServers.list()).find((s) => s.name === 'probe')!.id}/tools`,
      headers: { 'x-api-key': ownerKey },
    });
    expect(listed.statusCode, listed.body).toBe(200);
    const { call, close } = await toolsOf('probe');
    try {
      expect(await call('echo', { text: 'hi' })).toBe('echo: hi');
      const env = JSON.parse(await call('env')) as Record<string, string>;
      expect(env.TEST_MCP_TOKEN).toBe(TOKEN);
      expect(Object.keys(env).sort()).toEqual([...Object.keys(SANDBOX_ENV), 'PWD', 'TEST_MCP_TOKEN'].sort());
      expect(JSON.stringify(env)).not.toContain(HOST_SECRET);
      // no process on the host shows the sealed variable in its command line (it reaches bwrap on a pipe)
      const cmdlines = readdirSync('/proc')
        .filter((p) => /^\d+$/.test(p))
        .map((p) => {
          try {
            return readFileSync(`/proc/${p}/cmdline`, 'utf8');
          } catch {
            return '';
          }
        });
      expect(cmdlines.some((c) => c.includes(PROBE))).toBe(true);
      expect(cmdlines.filter((c) => c.includes(TOKEN))).toEqual([]);
    } finally {
      await close();
    }
  });

  it('#16 mcp sandbox: the server cannot read the data directory, Hearth’s process, or write what it reads', async () => {
    const { call, close } = await toolsOf('probe');
    try {
      expect(await call('read', { path: join(t.dataDir, 'probe-secret.txt') })).toBe('error:ENOENT');
      expect(await call('read', { path: join(t.dataDir, 'hearth.db') })).toBe('error:ENOENT');
      expect(await call('read', { path: `/proc/${process.pid}/environ` })).toMatch(/^error:/);
      expect(await call('read', { path: '/etc/shadow' })).toMatch(/^error:/);
      expect(await call('read', { path: PROBE })).toMatch(/^ok:/); // what the operator bound, read-only
      expect(await call('write', { path: PROBE })).toMatch(/^error:(EROFS|EACCES)/);
      expect(readFileSync(PROBE, 'utf8')).toContain('hearth-probe');
      expect(await call('write', { path: '/work/scratch.txt' })).toBe('ok:written'); // its own private HOME
    } finally {
      await close();
    }
  });

  it('#16 mcp sandbox: no network unless the operator allows it for that server', async () => {
    const closed = await toolsOf('probe');
    try {
      expect(await closed.call('fetch', { url: webUrl })).toMatch(/^error:/);
    } finally {
      await closed.close();
    }
    await probeServer('probenet', { network: true });
    const open = await toolsOf('probenet');
    try {
      expect(await open.call('fetch', { url: webUrl })).toBe('ok:200');
    } finally {
      await open.close();
    }
  });

  it('#16 mcp sandbox: paths that would show the data directory are refused at configuration, with the reason', async () => {
    // the data directory, inside or above it; the folder holding Hearth's .env; the whole filesystem; relative paths
    for (const readPaths of [[t.dataDir], [join(t.dataDir, 'sub')], [dirname(t.dataDir)], [process.cwd()], ['/'], ['relative/path']]) {
      const res = await post({ name: 'bad', transport: 'stdio', command: 'node', readPaths });
      expect(res.statusCode, JSON.stringify(readPaths)).toBe(400);
      expect(res.json()).toMatchObject({ code: 'BAD_REQUEST', details: { reason: 'MCP_PATH_REFUSED' } });
    }
    const http = await post({ name: 'bad', transport: 'http', url: 'https://mcp.example/', network: true });
    expect(http.statusCode).toBe(400);
    expect((await t.hearth.tools.mcpServers.list()).some((s) => s.name === 'bad')).toBe(false);
    // a command inside the data directory is refused when it would start, and runs nothing
    const id = await probeServer('indata', { command: join(t.dataDir, 'probe-secret.txt'), args: [] });
    const listed = await t.app.inject({ method: 'GET', url: `/api/mcp/servers/${id}/tools`, headers: { 'x-api-key': ownerKey } });
    expect(listed.statusCode).toBe(502);
    expect(listed.json()).toMatchObject({ code: 'BAD_GATEWAY' });
  });

  it('#16 mcp sandbox: a server that exits is started afresh, in a fresh sandbox, on the next call', async () => {
    const { tools, call, close } = await toolsOf('probe');
    try {
      expect(await call('write', { path: '/work/before-crash.txt' })).toBe('ok:written');
      const crashed = await tools.find((x) => x.name === 'mcp_probe_crash')!.run({}, ctx());
      expect(crashed.ok).toBe(false);
      await expect.poll(async () => (await tools.find((x) => x.name === 'mcp_probe_echo')!.run({ text: 'back' }, ctx())).ok).toBe(true);
      expect(await call('read', { path: '/work/before-crash.txt' })).toBe('error:ENOENT'); // nothing survives the old sandbox
    } finally {
      await close();
    }
  });

  it('#16 mcp sandbox: without bubblewrap a stdio server does not start at all (never outside the sandbox)', async () => {
    const { tools, close } = await toolsOf('probe', '/nonexistent/bwrap');
    try {
      expect(tools).toEqual([]);
      expect(t.logs.text).toContain('MCP server unavailable');
    } finally {
      await close();
    }
  });
});
