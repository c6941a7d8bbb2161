import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTlsOrLoopback } from '../../src/core/index.js';
import { loadConfig, ConfigError } from '../../src/config/index.js';
import { createOpenAIEmbedder } from '../../src/memory/embeddings/openai.js';
import { checkProviderUrl } from '../../src/providers/index.js';
import { checkMcpUrl, createMcpConnections, mcpToolProvider } from '../../src/tools/mcp/index.js';
import { userWithKey } from '../identity/helpers.js';
import { startTestHearth, type TestHearth } from '../support/hearth.js';

const SEALED = `Bearer mcp-header-${Math.random().toString(36).slice(2)}`;

describe('#15 mcp: MCP over http follows the providers’ URL rule (EXEC-2, LLM-5)', () => {
  let t: TestHearth;
  let ownerKey = '';
  let listener: Server;
  let received = 0;
  beforeAll(async () => {
    t = await startTestHearth({ db: 'sqlite' });
    ownerKey = (await userWithKey(t, 'owen', 'owner', ['read', 'write', 'admin'])).key;
    // stands in for anyone on the path: counts every request that reaches it
    listener = createServer((_req, res) => {
      received++;
      res.writeHead(500).end();
    });
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    await t?.close();
    listener?.closeAllConnections();
    await new Promise((r) => listener?.close(r));
  });

  const send = (method: 'POST' | 'PATCH', url: string, payload: Record<string, unknown>) =>
    t.app.inject({ method, url, headers: { 'x-api-key': ownerKey }, payload });

  it('#15 mcp: http to a public host is refused with a clear error, on create and on change, and nothing is stored', async () => {
    for (const url of [
      'http://mcp.example.com/mcp',
      'http://8.8.8.8/mcp',
      'http://127.0.0.1.nip.io/mcp',
      'http://[2001:db8::1]/mcp',
      'http://0.0.0.0:9/mcp',
    ]) {
      const res = await send('POST', '/api/mcp/servers', {
        name: 'plain',
        transport: 'http',
        url,
        secrets: { headers: { Authorization: SEALED } },
      });
      expect(res.statusCode, url).toBe(400);
      const body = res.json() as { code: string; error: string; details: { reason: string }; requestId: string };
      expect(body).toMatchObject({ code: 'BAD_REQUEST', details: { reason: 'MCP_URL_INSECURE' } });
      expect(body.error).toMatch(/https/);
      expect(body.requestId).toBeTruthy();
      expect(res.body).not.toContain(SEALED);
    }
    const creds = await send('POST', '/api/mcp/servers', { name: 'plain', transport: 'http', url: 'https://user:pw@mcp.example.com/' });
    expect(creds.json()).toMatchObject({ code: 'BAD_REQUEST', details: { reason: 'MCP_URL_CREDENTIALS' } });
    expect(await t.hearth.tools.mcpServers.list()).toEqual([]);

    const ok = await send('POST', '/api/mcp/servers', { name: 'tls', transport: 'http', url: 'https://mcp.example.com/mcp' });
    expect(ok.statusCode).toBe(201);
    const id = (ok.json() as { server: { id: string } }).server.id;
    const patched = await send('PATCH', `/api/mcp/servers/${id}`, { url: 'http://mcp.example.com/mcp' });
    expect(patched.json()).toMatchObject({ code: 'BAD_REQUEST', details: { reason: 'MCP_URL_INSECURE' } });
    expect((await t.hearth.tools.mcpServers.get(id))?.url).toBe('https://mcp.example.com/mcp');
  });

  it('#15 mcp: http to loopback, in any spelling, is accepted (a local MCP server)', async () => {
    const port = (listener.address() as { port: number }).port;
    for (const [i, host] of ['127.0.0.1', 'localhost', '[::1]', '127.1', '0x7f000001'].entries()) {
      const res = await send('POST', '/api/mcp/servers', { name: `local${i}`, transport: 'http', url: `http://${host}:${port}/mcp` });
      expect(res.statusCode, host).toBe(201);
    }
  });

  it('#15 mcp: a row stored before the rule is still never connected to in clear', async () => {
    const row = await t.hearth.tools.mcpServers.create({
      name: 'legacy',
      transport: 'http',
      url: `http://127.0.0.1.nip.io:${(listener.address() as { port: number }).port}/mcp`,
      enabled: true,
      allowedTools: ['echo'],
      secrets: { env: {}, headers: { Authorization: SEALED } },
    });
    const connections = createMcpConnections({
      store: t.hearth.tools.mcpServers,
      logger: t.logger,
      sandbox: { bwrapPath: '/usr/bin/bwrap', forbidden: [] },
    });
    const provider = mcpToolProvider({ store: t.hearth.tools.mcpServers, connections, audit: t.hearth.audit, logger: t.logger });
    try {
      expect(await provider.toolsFor({ id: 'f1', allowedTools: ['mcp_legacy_echo'] })).toEqual([]);
      await expect(connections.listTools(row)).rejects.toMatchObject({ details: { reason: 'MCP_URL_INSECURE' } });
    } finally {
      await connections.close();
    }
    expect(t.logs.text).not.toContain(SEALED);
  });

  it('#15 mcp: providers, embeddings (client and configuration) and MCP answer every URL the same way', () => {
    const urls = [
      'https://api.example.com/v1',
      'http://api.example.com/v1',
      'http://127.0.0.1:11434/v1',
      'http://127.8.9.10:1/v1',
      'http://2130706433:1/v1',
      'http://0x7f.1:1/v1',
      'http://localhost:1/v1',
      'http://LOCALHOST.:1/v1',
      'http://[::1]:1/v1',
      'http://[::ffff:127.0.0.1]:1/v1',
      'http://[::ffff:10.0.0.1]:1/v1',
      'http://10.0.0.1:1/v1',
      'http://a.localhost:1/v1',
      'ftp://127.0.0.1/v1',
    ];
    for (const url of urls) {
      const expected = isTlsOrLoopback(new URL(url));
      const accepts = (fn: () => unknown) => {
        try {
          fn();
          return true;
        } catch {
          return false;
        }
      };
      expect(
        accepts(() => checkProviderUrl(url)),
        `provider ${url}`,
      ).toBe(expected);
      expect(
        accepts(() => checkMcpUrl(url)),
        `mcp ${url}`,
      ).toBe(expected);
      expect(
        accepts(() => createOpenAIEmbedder({ baseURL: url, model: 'm' })),
        `embeddings ${url}`,
      ).toBe(expected);
      let configAccepts = true;
      try {
        loadConfig({ HEARTH_DATA_DIR: t.dataDir, HEARTH_EMBEDDINGS_URL: url }, { dotenv: false, cwd: t.dataDir });
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        configAccepts = !err.issues.some((i) => i.name === 'HEARTH_EMBEDDINGS_URL');
      }
      expect(configAccepts, `config ${url}`).toBe(expected);
    }
    expect(received).toBe(0);
  });
});
