import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStorage } from '../../src/storage/index.js';
import {
  createApprovals,
  createSandbox,
  createShellParser,
  createShellPolicy,
  createShellTool,
  parseAllowlist,
  type ApprovalView,
  type Approvals,
} from '../../src/tools/shell/index.js';
import type { ToolContext, ToolResult } from '../../src/tools/index.js';
import { newConversation, startChatWorld, type ChatWorld } from '../companions/helpers.js';
import { userWithKey } from '../identity/helpers.js';
import { dropSchema, PG_URL, tempDir, uniqueSchema } from '../support/databases.js';
import { startTestHearth, type TestHearth } from '../support/hearth.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function firstPending(approvals: Approvals, before = new Set<string>()): Promise<ApprovalView> {
  for (let i = 0; i < 500; i++) {
    const view = (await approvals.pending()).find((v) => !before.has(v.id));
    if (view) return view;
    await sleep(20);
  }
  throw new Error('no approval request appeared');
}

describe('#16 LLM-4/EXEC-1 the wait for the owner is apart from every tool time limit', () => {
  let w: ChatWorld;
  beforeAll(async () => {
    // The turn's default tool limit (1 s) and the shell's own (2 s + margin) are both far below the 12 s wait.
    w = await startChatWorld({ env: { HEARTH_TOOL_TIMEOUT_MS: '1000', HEARTH_SHELL_TIMEOUT_MS: '2000' } });
  });
  afterAll(async () => w?.close());

  it('an approval given after 12 s runs the command', async () => {
    const owner = await w.t.hearth.identity.createUser({ name: 'olive', password: 'correct horse battery staple 42', role: 'owner' });
    await w.t.app.inject({
      method: 'PATCH',
      url: `/api/familiars/${w.familiarId}`,
      headers: w.auth(w.admin.key),
      payload: { allowedTools: ['shell'] },
    });
    await w.t.hearth.tools.shellEnablement.enable(w.familiarId, owner.id);
    w.fake.script.push(
      { toolCalls: [{ name: 'shell', arguments: JSON.stringify({ command: 'printf LATE-$((40+2))' }) }] },
      { text: 'done' },
    );
    const conv = await newConversation(w, w.alice.key);
    const reply = w.t.app.inject({
      method: 'POST',
      url: `/api/conversations/${conv}/messages`,
      headers: w.auth(w.alice.key),
      payload: { text: 'run it' },
    });
    const view = await firstPending(w.t.hearth.approvals);
    await sleep(12_000); // the one real wait of the suite (the regression case); nothing is timed
    await w.t.hearth.approvals.decide({
      id: view.id,
      nonce: view.nonce,
      approve: true,
      decider: { kind: 'person', userId: owner.id, actor: { type: 'user', id: owner.id } },
    });
    expect((await reply).statusCode).toBe(200);
    const toolOutput = w.fake.requests.flatMap((r) =>
      ((r.body.messages as Array<{ role: string; content: unknown }> | undefined) ?? [])
        .filter((m) => m.role === 'tool')
        .map((m) => String(m.content)),
    );
    expect(toolOutput.some((m) => m.includes('LATE-42'))).toBe(true);
    expect(toolOutput.some((m) => m.includes('TOOL_TIMEOUT'))).toBe(false);
  }, 60_000);
});

/** A shell tool over one replica's approvals; `printf` asks (not allowlisted). */
async function shellToolOver(approvals: Approvals, t: TestHearth) {
  const parser = await createShellParser();
  return createShellTool({
    policy: createShellPolicy({ parser, allowlist: parseAllowlist('echo') }),
    sandbox: createSandbox({ bwrapPath: '/usr/bin/bwrap', timeoutMs: 5000, outputLimit: 4096 }),
    approvals,
    audit: t.hearth.audit,
  });
}
const context = (t: TestHearth): ToolContext => ({
  userId: 'asker',
  familiarId: 'fam',
  conversationId: 'conv',
  signal: new AbortController().signal,
  audit: t.hearth.audit,
});

describe('#16 EXEC-1 approvals live in the database: any replica decides, a restart expires them', () => {
  const schema = uniqueSchema();
  const dataDir = tempDir();
  let a: TestHearth;
  let b: TestHearth;
  let ownerKey = '';
  let memberKey = '';
  beforeAll(async () => {
    a = await startTestHearth({ db: 'postgres', pgSchema: schema, dataDir });
    b = await startTestHearth({ db: 'postgres', pgSchema: schema, dataDir });
    ownerKey = (await userWithKey(a, 'olive', 'owner', ['read', 'write', 'admin'])).key;
    memberKey = (await userWithKey(a, 'mia', 'member', ['read', 'write'])).key;
    await b.app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await dropSchema(schema);
  });

  it('a request made on replica A is shown live on replica B (SSE), approved there, and runs on A', async () => {
    const address = b.app.server.address();
    if (!address || typeof address === 'string') throw new Error('no address');
    const stream = await fetch(`http://127.0.0.1:${address.port}/api/approvals/events`, { headers: { 'x-api-key': ownerKey } });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toContain('text/event-stream');
    const reader = stream.body!.getReader();
    const frames: string[] = [];
    const seen = (text: string) => frames.join('').includes(text);
    const pump = (async () => {
      const decoder = new TextDecoder();
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
        if (done) return;
        frames.push(decoder.decode(value));
      }
    })();

    const tool = await shellToolOver(a.hearth.approvals, a);
    const result = tool.run({ command: 'printf REPLICA-$((2*21))' }, context(a));
    for (let i = 0; i < 200 && !seen('REPLICA-'); i++) await sleep(25);
    expect(seen('event: approvals')).toBe(true);
    expect(seen('printf REPLICA-$((2*21))')).toBe(true);

    const listed = await b.app.inject({ method: 'GET', url: '/api/approvals', headers: { 'x-api-key': ownerKey } });
    const view = (listed.json() as { approvals: ApprovalView[] }).approvals.find((v) => v.command === 'printf REPLICA-$((2*21))')!;
    const byMember = await b.app.inject({
      method: 'POST',
      url: `/api/approvals/${view.id}`,
      headers: { 'x-api-key': memberKey },
      payload: { nonce: view.nonce, decision: 'approve' },
    });
    expect(byMember.statusCode).toBe(403);
    const approved = await b.app.inject({
      method: 'POST',
      url: `/api/approvals/${view.id}`,
      headers: { 'x-api-key': ownerKey },
      payload: { nonce: view.nonce, decision: 'approve', commandHash: view.commandHash },
    });
    expect(approved.statusCode).toBe(200);
    const r: ToolResult = await result;
    expect(r.ok && r.content).toContain('REPLICA-42');

    // the same decision again (a replayed click) changes nothing and is audited
    const replay = await b.app.inject({
      method: 'POST',
      url: `/api/approvals/${view.id}`,
      headers: { 'x-api-key': ownerKey },
      payload: { nonce: view.nonce, decision: 'approve' },
    });
    expect(replay.statusCode).toBe(409);
    const rejected = await a.hearth.audit.list({ action: 'shell.approval.rejected' });
    expect(rejected.some((e) => e.target === view.id && JSON.stringify(e.details).includes('already approved'))).toBe(true);
    for (let i = 0; i < 100 && frames.join('').split('event: approvals').length < 3; i++) await sleep(25);
    expect(frames.join('').split('event: approvals').length).toBeGreaterThanOrEqual(3); // shown, then gone
    await reader.cancel();
    await pump;
  }, 30_000);

  it('the person who asked sees their own request waiting, without its nonce', async () => {
    const tool = await shellToolOver(a.hearth.approvals, a);
    const mia = (await a.hearth.identity.findUserByName('mia'))!;
    const result = tool.run({ command: 'printf MINE' }, { ...context(a), userId: mia.id, conversationId: 'conv-mia' });
    const view = await firstPending(b.hearth.approvals, new Set());
    const address = b.app.server.address() as { port: number };
    const controller = new AbortController();
    const res = await fetch(`http://127.0.0.1:${address.port}/api/approvals/waiting?conversationId=conv-mia`, {
      headers: { 'x-api-key': memberKey },
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    const { value } = await reader.read();
    const text = new TextDecoder().decode(value);
    controller.abort();
    expect(text).toContain('printf MINE');
    expect(text).not.toContain(view.nonce);
    expect(text).not.toContain(view.denyNonce);
    await a.hearth.approvals.decide({ id: view.id, nonce: view.nonce, approve: false, decider: { kind: 'terminal' } });
    expect(await result).toMatchObject({ ok: false, code: 'APPROVAL_DENIED' });
  }, 30_000);

  it('a clean shutdown expires the open requests of that replica (audited); the tool runs nothing', async () => {
    const c = await startTestHearth({ db: 'postgres', pgSchema: schema, dataDir });
    const tool = await shellToolOver(c.hearth.approvals, c);
    const before = new Set((await a.hearth.approvals.pending()).map((v) => v.id));
    const result = tool.run({ command: 'touch /work/should-not && printf SHOULD-NOT-RUN' }, context(c));
    const view = await firstPending(a.hearth.approvals, before);
    await c.close();
    expect(await result).toMatchObject({ ok: false, code: 'APPROVAL_EXPIRED' });
    const expired = await a.hearth.audit.list({ action: 'shell.approval.expired' });
    expect(expired.some((e) => e.target === view.id && JSON.stringify(e.details).includes('shutdown'))).toBe(true);
    await expect(
      a.hearth.approvals.decide({ id: view.id, nonce: view.nonce, approve: true, decider: { kind: 'terminal' } }),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
  }, 30_000);

  it('after a crash, the next start expires the requests whose waiter is gone (audited); approving them runs nothing', async () => {
    // A "crashed" replica: its own connection, a request, then the connection dies under it.
    const storage = await openStorage({ dataDir, databaseUrl: PG_URL, pgSchema: schema });
    const crashed = createApprovals({ storage, audit: a.hearth.audit, isOwner: async () => true });
    const { view } = await crashed.request({
      command: 'printf CRASHED',
      reasons: ['ask'],
      familiarId: 'fam',
      userId: 'asker',
      conversationId: 'c',
    });
    await storage.close();
    // The restart, later than a waiter can go silent.
    const later = () => Date.now() + 10_000;
    const restarted = await startTestHearth({ db: 'postgres', pgSchema: schema, dataDir, now: later });
    try {
      const rows = await restarted.hearth.approvals.recent(50);
      expect(rows.find((r) => r.id === view.id)?.status).toBe('expired');
      const expired = await restarted.hearth.audit.list({ action: 'shell.approval.expired' });
      expect(expired.some((e) => e.target === view.id && JSON.stringify(e.details).includes('waiter gone'))).toBe(true);
      await expect(
        restarted.hearth.approvals.decide({ id: view.id, nonce: view.nonce, approve: true, decider: { kind: 'terminal' } }),
      ).rejects.toMatchObject({ code: 'CONFLICT' });
    } finally {
      await restarted.close();
      await crashed.close();
    }
  }, 30_000);
});
