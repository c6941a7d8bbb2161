import { dataBlock } from '../security/sanitize/index.js';
import { neutralizedNotice, type InjectionScreen } from '../security/screen/index.js';
import type { ChatMessage, ChatModel, Sampling, ToolCall } from '../providers/index.js';
import type { PersonWait, Tool, ToolContext, ToolResult } from '../tools/index.js';
import type { AuditLog } from '../security/audit/index.js';
import type { TurnEvent } from './contracts.js';

export interface ToolLoopLimits {
  /** Model rounds that may request tools (LLM-4: 5). */
  readonly maxRounds: number;
  /** Per tool call, for tools without their own limit (LLM-4: 10 s); waiting for a person does not count. */
  readonly toolTimeoutMs: number;
  /** Prompt + completion tokens over the whole turn. */
  readonly tokenBudget: number;
  /** Characters of one tool's output the model may see. */
  readonly toolOutputMaxChars: number;
}

export interface ToolLoopInput {
  readonly model: ChatModel;
  readonly modelName: string;
  readonly temperature?: number | undefined;
  readonly sampling?: Sampling | undefined;
  readonly messages: ChatMessage[];
  readonly tools: readonly Tool[];
  readonly tag: string;
  readonly limits: ToolLoopLimits;
  readonly context: Omit<ToolContext, 'signal' | 'waitForPerson'>;
  readonly signal?: AbortSignal | undefined;
  readonly audit: AuditLog;
  /** Scores every tool's output (LLM-2): a web page or an MCP server's reply can carry an injection too. */
  readonly screen?: InjectionScreen | undefined;
  readonly onEvent: (event: TurnEvent) => void;
}

/** The longest a tool may wait for a person, whatever it awaits (approvals expire after at most 10 minutes). */
const MAX_PERSON_WAIT_MS = 11 * 60_000;

/**
 * A time limit that pauses while the tool waits for a person: the tool's own run time and the
 * owner's decision are separate budgets (LLM-4, EXEC-1).
 */
function pausableTimer(limitMs: number, onExpire: () => void) {
  let remaining = limitMs;
  let startedAt = Date.now();
  let timer: NodeJS.Timeout | undefined;
  let paused = 0;
  const arm = () => {
    startedAt = Date.now();
    timer = setTimeout(onExpire, Math.max(0, remaining));
  };
  arm();
  return {
    pause() {
      if (paused++ > 0) return;
      clearTimeout(timer);
      remaining -= Date.now() - startedAt;
    },
    resume() {
      if (--paused === 0) arm();
    },
    stop: () => clearTimeout(timer),
  };
}

async function runTool(tool: Tool | undefined, call: ToolCall, input: ToolLoopInput): Promise<ToolResult> {
  if (!tool) return { ok: false, code: 'TOOL_UNKNOWN', message: `No tool named ${call.name.slice(0, 64)} is available` };
  let args: unknown;
  try {
    args = call.arguments ? JSON.parse(call.arguments) : {};
  } catch {
    return { ok: false, code: 'TOOL_BAD_ARGUMENTS', message: 'Tool arguments were not valid JSON' };
  }
  const controller = new AbortController();
  const onAbort = () => controller.abort();
  input.signal?.addEventListener('abort', onAbort, { once: true });
  const limitMs = tool.timeoutMs ?? input.limits.toolTimeoutMs;
  let expired!: (r: ToolResult) => void;
  const timeout = new Promise<ToolResult>((resolve) => (expired = resolve));
  const fail = (message: string) => {
    controller.abort();
    expired({ ok: false, code: 'TOOL_TIMEOUT', message });
  };
  const clock = pausableTimer(limitMs, () => fail(`The tool took longer than ${limitMs} ms`));
  const waitForPerson = async <T>(notice: PersonWait, wait: Promise<T>): Promise<T> => {
    clock.pause();
    input.onEvent({ type: 'tool', name: call.name, status: 'waiting_approval' });
    const cap = setTimeout(
      () => fail('Nobody answered in time'),
      Math.min(MAX_PERSON_WAIT_MS, Math.max(0, notice.expiresAt - Date.now()) + 60_000),
    );
    try {
      return await wait;
    } finally {
      clearTimeout(cap);
      clock.resume();
    }
  };
  try {
    return await Promise.race([
      tool
        .run(args, { ...input.context, signal: controller.signal, waitForPerson })
        .catch((): ToolResult => ({ ok: false, code: 'TOOL_FAILED', message: 'The tool failed' })),
      timeout,
    ]);
  } finally {
    clock.stop();
    input.signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * Calls the model, runs the tools it asks for (only the familiar's, each with a time limit and
 * capped, fenced output) and calls again, within the round and token limits (LLM-4).
 * Returns the final text; provider errors propagate.
 */
export async function runToolLoop(input: ToolLoopInput): Promise<{ text: string; tokens: number; rounds: number; stoppedBy?: string }> {
  const { limits } = input;
  const byName = new Map(input.tools.map((t) => [t.name, t]));
  const specs = input.tools.map((t) => ({ name: t.name, description: t.description, parameters: t.parameters }));
  let tokens = 0;
  for (let round = 0; ; round++) {
    const allowTools = round < limits.maxRounds && specs.length > 0;
    let text = '';
    let calls: readonly ToolCall[] = [];
    const remaining = Math.max(1, limits.tokenBudget - tokens);
    for await (const event of input.model.stream({
      model: input.modelName,
      messages: input.messages,
      ...(allowTools ? { tools: specs } : {}),
      ...(input.temperature !== undefined ? { temperature: input.temperature } : {}),
      ...(input.sampling ? { sampling: input.sampling } : {}),
      maxTokens: remaining,
      ...(input.signal ? { signal: input.signal } : {}),
    })) {
      if (event.type === 'delta') {
        text += event.text;
        input.onEvent({ type: 'delta', text: event.text });
      } else if (event.type === 'tool_calls') calls = event.calls;
      else if (event.type === 'usage') tokens += event.promptTokens + event.completionTokens;
    }
    if (calls.length === 0 || !allowTools) return { text, tokens, rounds: round + 1, ...(calls.length ? { stoppedBy: 'rounds' } : {}) };
    if (tokens >= limits.tokenBudget) return { text, tokens, rounds: round + 1, stoppedBy: 'tokens' };
    input.messages.push({ role: 'assistant', content: text, toolCalls: calls });
    for (const call of calls) {
      input.onEvent({ type: 'tool', name: call.name, status: 'started' });
      const result = await runTool(byName.get(call.name), call, input);
      input.onEvent({ type: 'tool', name: call.name, status: result.ok ? 'done' : 'failed' });
      let content = result.ok ? result.content : `error ${result.code}: ${result.message}`;
      if (content.length > limits.toolOutputMaxChars)
        content = `${content.slice(0, limits.toolOutputMaxChars)}\n[output truncated at ${limits.toolOutputMaxChars} characters]`;
      // Outside content the model reads is screened like the person's words; flagged output reaches it quoted and labelled.
      const verdict = result.ok ? input.screen?.screen(content) : undefined;
      if (verdict?.flagged) content = neutralizedNotice(content, verdict, `the tool ${call.name}`);
      await input.audit.record({
        actor: { type: 'model', familiarId: input.context.familiarId, userId: input.context.userId },
        action: 'tool.call',
        target: call.name.slice(0, 64),
        outcome: result.ok ? 'success' : 'failure',
        ...(input.context.requestId ? { requestId: input.context.requestId } : {}),
        details: result.ok
          ? { outputLength: result.content.length, ...(verdict?.flagged ? { screened: verdict.signals.join(',') } : {}) }
          : { code: result.code },
      });
      input.messages.push({
        role: 'tool',
        toolCallId: call.id,
        content: dataBlock({ kind: 'tool_result', source: `tool:${call.name}`, content }, input.tag),
      });
    }
  }
}
