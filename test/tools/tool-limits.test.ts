import { describe, expect, it } from 'vitest';
import { runToolLoop } from '../../src/companions/tool-loop.js';
import type { ChatEvent, ChatModel, ChatRequest } from '../../src/providers/types.js';
import type { Tool, ToolResult } from '../../src/tools/index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A model that calls `tool` once and then answers with what the tool returned. */
function callsOnce(tool: string): ChatModel {
  let round = 0;
  return {
    async *stream(request: ChatRequest): AsyncIterable<ChatEvent> {
      if (round++ === 0) yield { type: 'tool_calls', calls: [{ id: 'c1', name: tool, arguments: '{}' }] };
      else yield { type: 'delta', text: String(request.messages.at(-1)?.content ?? '') };
    },
    listModels: async () => [],
    embed: async () => [],
  };
}

async function loop(tool: Tool) {
  const events: Array<{ type: string; status?: string }> = [];
  const audit = { record: async () => undefined } as never;
  const out = await runToolLoop({
    model: callsOnce(tool.name),
    modelName: 'm',
    messages: [{ role: 'user', content: 'go' }],
    tools: [tool],
    tag: 't',
    limits: { maxRounds: 2, toolTimeoutMs: 150, tokenBudget: 10_000, toolOutputMaxChars: 1000 },
    context: { userId: 'u', familiarId: 'f', conversationId: 'c', audit },
    audit,
    onEvent: (e) => events.push(e as never),
  });
  return { text: out.text, events };
}

const tool = (name: string, run: Tool['run'], timeoutMs?: number): Tool => ({
  name,
  description: name,
  parameters: { type: 'object' },
  ...(timeoutMs !== undefined ? { timeoutMs } : {}),
  run,
});

describe('#16 LLM-4 per-tool time limits; the wait for a person is apart', () => {
  it('a tool without its own limit is cut at the turn default', async () => {
    const { text } = await loop(tool('slow', async () => (await sleep(600), { ok: true, content: 'finished' })));
    expect(text).toContain('TOOL_TIMEOUT');
    expect(text).not.toContain('finished');
  });

  it('a tool with its own limit may run past the default (an MCP server, the shell)', async () => {
    const { text } = await loop(tool('own', async () => (await sleep(400), { ok: true, content: 'finished' }), 5_000));
    expect(text).toContain('finished');
  });

  it('waiting for a person does not spend the tool’s limit, and the chat is told it waits', async () => {
    const waits = tool(
      'waits',
      async (_args, context): Promise<ToolResult> => {
        const decision = sleep(700).then(() => 'approved');
        const got = await context.waitForPerson!({ kind: 'approval', approvalId: 'a1', expiresAt: Date.now() + 30_000 }, decision);
        return { ok: true, content: `after the wait: ${got}` };
      },
      200,
    );
    const { text, events } = await loop(waits);
    expect(text).toContain('after the wait: approved');
    expect(events.some((e) => e.type === 'tool' && e.status === 'waiting_approval')).toBe(true);
  });

  it('the run time after the wait still counts', async () => {
    const waitsThenSlow = tool(
      'waits_then_slow',
      async (_args, context): Promise<ToolResult> => {
        await context.waitForPerson!({ kind: 'approval', approvalId: 'a1', expiresAt: Date.now() + 30_000 }, sleep(300));
        await sleep(800);
        return { ok: true, content: 'ran too long' };
      },
      200,
    );
    const { text } = await loop(waitsThenSlow);
    expect(text).toContain('TOOL_TIMEOUT');
  });
});
