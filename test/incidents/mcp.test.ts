import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ToolContext } from '../../src/tools/index.js';
import { createMcpConnections, mcpToolProvider } from '../../src/tools/mcp/index.js';
import { userWithKey } from '../identity/helpers.js';
import { startTestHearth, type TestHearth } from '../support/hearth.js';
import { PROBE, PROBE_READ_PATHS } from '../tools/fixtures/probe-bundle.js';

/** DESIGN §6: MCP servers that pass tool input to a shell (CVE-2025-53107) or run without auth (CVE-2025-49596). */
describe('incident: MCP servers', () => {
  let t: TestHearth;
  let ownerKey = '';
  let adminKey = '';
  let memberKey = '';
  beforeAll(async () => {
    t = await startTestHearth({ env: { HEARTH_RATE_ANON_WRITES: '1000', HEARTH_RATE_ANON_READS: '1000' } });
    ownerKey = (await userWithKey(t, 'owen', 'owner', ['read', 'write', 'admin'])).key;
    adminKey = (await userWithKey(t, 'ada', 'admin', ['read', 'write', 'admin'])).key;
    memberKey = (await userWithKey(t, 'max', 'member', ['read', 'write', 'chat'])).key;
  });
  afterAll(async () => t?.close());

  const ctx = (): ToolContext => ({
    userId: 'u1',
    familiarId: 'f1',
    conversationId: 'c1',
    signal: new AbortController().signal,
    audit: t.hearth.audit,
  });

  it('incident: MCP servers that pass tool input to a shell (CVE-2025-53107): input and arguments stay data, never a shell line', async () => {
    // shell syntax in the configured arguments: a shell would run it, Hearth hands it over as one argv entry
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/mcp/servers',
      headers: { 'x-api-key': ownerKey },
      payload: {
        name: 'probe',
        transport: 'stdio',
        command: 'node',
        args: [PROBE, '$(touch /work/from-args)', '; touch /work/from-args2', '`touch /work/from-args3`'],
        readPaths: PROBE_READ_PATHS,
        enabled: true,
        allowedTools: ['echo', 'read'],
      },
    });
    expect(created.statusCode, created.body).toBe(201);
    const connections = createMcpConnections({
      store: t.hearth.tools.mcpServers,
      logger: t.logger,
      sandbox: { bwrapPath: '/usr/bin/bwrap', forbidden: [t.dataDir] },
    });
    const provider = mcpToolProvider({ store: t.hearth.tools.mcpServers, connections, audit: t.hearth.audit, logger: t.logger });
    try {
      const tools = await provider.toolsFor({ id: 'f1', allowedTools: ['mcp_probe_echo', 'mcp_probe_read'] });
      const run = async (name: string, args: Record<string, unknown>) => {
        const out = await tools.find((x) => x.name === name)!.run(args, ctx());
        return out.ok ? out.content : `failed:${out.code}`;
      };
      // the model's input is passed as JSON arguments, reaching the tool as the same text
      for (const text of ['$(touch /work/pwned)', '; touch /work/pwned2 #', '`touch /work/pwned3`', "' && touch /work/pwned4 '"])
        expect(await run('mcp_probe_echo', { text })).toBe(`echo: ${text}`);
      for (const file of ['pwned', 'pwned2', 'pwned3', 'pwned4', 'from-args', 'from-args2', 'from-args3'])
        expect(await run('mcp_probe_read', { path: `/work/${file}` }), file).toBe('error:ENOENT');
      // a tool input that is no object reaches the server as an empty argument list, never a string to split
      expect(await run('mcp_probe_echo', 'rm -rf /' as unknown as Record<string, unknown>)).toMatch(/^failed:|^echo: $/);
    } finally {
      await connections.close();
    }
  });

  it('incident: MCP servers that run without auth (CVE-2025-49596): only the owner can add, start, list or change one, from loopback too', async () => {
    const body = { name: 'evil', transport: 'stdio', command: '/bin/sh', args: ['-c', 'touch /tmp/pwned'] };
    const calls = [
      { method: 'GET', url: '/api/mcp/servers' },
      { method: 'POST', url: '/api/mcp/servers', payload: body },
      { method: 'PATCH', url: '/api/mcp/servers/x', payload: { enabled: true } },
      { method: 'DELETE', url: '/api/mcp/servers/x' },
      { method: 'GET', url: '/api/mcp/servers/x/tools' },
    ] as const;
    for (const call of calls) {
      const anonymous = await t.app.inject({ ...call, remoteAddress: '127.0.0.1' });
      expect(anonymous.statusCode, `${call.method} ${call.url} anonymous`).toBe(401);
      for (const key of [adminKey, memberKey])
        expect((await t.app.inject({ ...call, headers: { 'x-api-key': key } })).statusCode, `${call.method} ${call.url}`).toBe(403);
    }
    expect((await t.hearth.tools.mcpServers.list()).some((s) => s.name === 'evil')).toBe(false);
    // Hearth itself offers no MCP endpoint anyone could drive: nothing under /mcp or /sse answers without a credential
    for (const url of ['/mcp', '/sse', '/api/mcp', '/api/mcp/proxy', '/message'])
      expect([401, 404], url).toContain((await t.app.inject({ method: 'POST', url, payload: {} })).statusCode);
  });
});
