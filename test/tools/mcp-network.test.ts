import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ToolContext } from '../../src/tools/index.js';
import { createMcpConnections, mcpToolProvider } from '../../src/tools/mcp/index.js';
import { userWithKey } from '../identity/helpers.js';
import { startTestHearth, type TestHearth } from '../support/hearth.js';
import { PROBE, PROBE_READ_PATHS } from './fixtures/probe-bundle.js';

describe('#16 EXEC-2 mcp network: a stdio server reaches only its listed host:port, through the egress proxy', () => {
  let t: TestHearth;
  let ownerKey = '';
  let web: Server;
  let other: Server;
  let port = 0;
  let otherPort = 0;
  let otherHits = 0;
  beforeAll(async () => {
    t = await startTestHearth({ db: 'sqlite' });
    ownerKey = (await userWithKey(t, 'owen', 'owner', ['read', 'write', 'admin'])).key;
    web = createServer((_req, res) => res.writeHead(200).end('listed-server'));
    other = createServer((_req, res) => (otherHits++, res.writeHead(200).end('other-server')));
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    port = (web.address() as { port: number }).port;
    otherPort = (other.address() as { port: number }).port;
  });
  afterAll(async () => {
    await t?.close();
    for (const s of [web, other]) {
      s?.closeAllConnections();
      await new Promise((r) => s?.close(r));
    }
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

  it('EXEC-2: the listed pair is reached; another port and a direct request are refused; refusals are audited', async () => {
    const created = await post({
      name: 'netlist',
      transport: 'stdio',
      command: 'node',
      args: [PROBE],
      readPaths: PROBE_READ_PATHS,
      enabled: true,
      allowedTools: ['tunnel', 'fetch'],
      timeoutMs: 20_000,
      networkAllow: [`127.0.0.1:${port}`],
    });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ server: { network: false, networkAllow: [`127.0.0.1:${port}`] } });
    const refusals: string[] = [];
    const connections = createMcpConnections({
      store: t.hearth.tools.mcpServers,
      logger: t.logger,
      sandbox: { bwrapPath: '/usr/bin/bwrap', forbidden: [t.dataDir] },
      onEgress: (_server, e) => e.outcome === 'refused' && refusals.push(e.destination),
    });
    const provider = mcpToolProvider({ store: t.hearth.tools.mcpServers, connections, audit: t.hearth.audit, logger: t.logger });
    try {
      const tools = await provider.toolsFor({ id: 'f1', allowedTools: ['mcp_netlist_tunnel', 'mcp_netlist_fetch'] });
      const call = async (name: string, args: Record<string, unknown>) => {
        const out = await tools.find((x) => x.name === `mcp_netlist_${name}`)!.run(args, ctx());
        return out.ok ? out.content : `failed:${out.code}`;
      };
      expect(await call('tunnel', { target: `127.0.0.1:${port}` })).toBe('ok:listed-server');
      expect(await call('tunnel', { target: `127.0.0.1:${otherPort}` })).toBe('refused:403');
      expect(await call('fetch', { url: `http://127.0.0.1:${otherPort}/` })).toMatch(/^error:/); // no network but the proxy
      expect(otherHits).toBe(0);
      expect(refusals).toEqual([`127.0.0.1:${otherPort}`]);
    } finally {
      await connections.close();
    }
  });

  it('EXEC-2: a bad destination, a list beside network: true, or a list on an http server is refused at configuration', async () => {
    const base = { transport: 'stdio', command: 'node', args: [PROBE], readPaths: PROBE_READ_PATHS };
    for (const payload of [
      { ...base, name: 'bad1', networkAllow: ['*.example.com:443'] },
      { ...base, name: 'bad2', networkAllow: ['example.com:443'], network: true },
    ]) {
      const res = await post(payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json()).toMatchObject({ code: 'BAD_REQUEST', details: { reason: 'MCP_NETWORK_REFUSED' } });
    }
    const http = await post({ name: 'bad3', transport: 'http', url: 'https://mcp.example/', networkAllow: ['example.com:443'] });
    expect(http.statusCode).toBe(400);
    expect((await t.hearth.tools.mcpServers.list()).map((s) => s.name)).toEqual(['netlist']);
  });
});
