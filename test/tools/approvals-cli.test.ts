import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSandbox,
  createShellParser,
  createShellPolicy,
  createShellTool,
  parseAllowlist,
  type ApprovalView,
} from '../../src/tools/shell/index.js';
import type { Tool, ToolResult } from '../../src/tools/index.js';
import { runHearth } from '../support/cli.js';
import { startTestHearth, type TestHearth } from '../support/hearth.js';

/** #16: the owner at a terminal decides what a running server waits for (EXEC-1). */
describe('#16 EXEC-1 hearth approvals list | approve NONCE | deny NONCE', () => {
  let t: TestHearth;
  let tool: Tool;
  beforeAll(async () => {
    t = await startTestHearth();
    tool = createShellTool({
      policy: createShellPolicy({ parser: await createShellParser(), allowlist: parseAllowlist('echo') }),
      sandbox: createSandbox({ bwrapPath: '/usr/bin/bwrap', timeoutMs: 5000, outputLimit: 4096 }),
      approvals: t.hearth.approvals,
      audit: t.hearth.audit,
    });
  });
  afterAll(async () => t?.close());

  const env = () => ({ HEARTH_DATA_DIR: t.dataDir });
  const waiting = async (command: string): Promise<{ result: Promise<ToolResult>; view: ApprovalView }> => {
    const result = tool.run(
      { command },
      { userId: 'u', familiarId: 'f', conversationId: 'c', signal: new AbortController().signal, audit: t.hearth.audit },
    );
    for (let i = 0; i < 200; i++) {
      const view = (await t.hearth.approvals.pending()).find((v) => v.command === command);
      if (view) return { result, view };
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('no request');
  };

  it('lists the whole command with its nonce, and approve NONCE runs it in the server that asked', async () => {
    const { result, view } = await waiting("printf CLI-OK\necho 'second line'");
    const list = await runHearth(['approvals', 'list'], { env: env() });
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(view.nonce);
    expect(list.stdout).toContain('  printf CLI-OK\n');
    expect(list.stdout).toContain("  echo 'second line'\n");
    const ok = await runHearth(['approvals', 'approve', view.nonce], { env: env() });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('approved');
    const r = await result;
    expect(r.ok && r.content).toContain('CLI-OK');
    const again = await runHearth(['approvals', 'approve', view.nonce], { env: env() });
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/already/);
  }, 60_000);

  it('deny NONCE refuses; a made-up nonce and a missing one are clear errors', async () => {
    const { result, view } = await waiting('printf CLI-DENIED');
    const denied = await runHearth(['approvals', 'deny', view.nonce], { env: env() });
    expect(denied.code).toBe(0);
    expect(await result).toMatchObject({ ok: false, code: 'APPROVAL_DENIED' });
    const unknown = await runHearth(['approvals', 'approve', 'not-a-real-nonce-000000'], { env: env() });
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/not found/i);
    const missing = await runHearth(['approvals', 'approve'], { env: env() });
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('needs a NONCE');
  }, 60_000);
});
