import type { AuditLog } from '../security/audit/index.js';
import { createInjectionScreen, type InjectionScreen } from '../security/screen/index.js';
import { stripUnsafeLinks } from '../security/sanitize/index.js';
import { meterModel, ProviderError, type ChatModel, type MeteredModel } from '../providers/index.js';
import { AppError } from '../core/index.js';
import type { Logger } from '../logging/index.js';
import type { Tool, ToolProvider } from '../tools/index.js';
import type { MemoryRetriever, RetrievedContext, TurnEvent, TurnReply, TurnRequest, TurnRunner } from './contracts.js';
import type { ConversationStore, Conversation } from './conversations.js';
import type { FamiliarService, Familiar } from './familiars.js';
import { assemblePrompt } from './prompt.js';
import { screenTurn } from './screening.js';
import { statelessConversation, type TurnStore } from './stateless.js';
import { runToolLoop, type ToolLoopLimits } from './tool-loop.js';

export interface TurnOptions {
  readonly familiars: FamiliarService;
  readonly conversations: ConversationStore;
  /** Resolves a familiar's model client (the provider service). */
  readonly modelFor: (familiar: Familiar) => Promise<ChatModel>;
  readonly audit: AuditLog;
  readonly logger: Logger;
  /** Read at run time: later sections fill them after the runner is built. */
  readonly toolProviders: readonly ToolProvider[];
  readonly memoryRetrievers: readonly MemoryRetriever[];
  readonly screen?: InjectionScreen;
  readonly limits?: Partial<TurnLimits>;
  /** Budgets (issue #22): wraps the model and tools of one person's turn so every call is reserved and settled. */
  readonly budgetFor?: (scope: { userId: string; familiarId: string; channel: string; requestId?: string | undefined }) => {
    model(model: ChatModel): ChatModel;
    tools(tools: readonly Tool[]): Tool[];
  };
}

interface TurnLimits extends ToolLoopLimits {
  /** Characters of one inbound message (HTTP-6: 10,000). */
  readonly maxTextChars: number;
  /** Characters of the message and its context together (an OpenAI client's whole transcript). */
  readonly maxContextChars: number;
  /** Output tokens asked per model call when neither the familiar nor its provider sets a limit. */
  readonly maxOutputTokens: number;
  readonly historyMessages: number;
  readonly memories: number;
}

const DEFAULT_TURN_LIMITS: TurnLimits = {
  maxRounds: 5,
  toolTimeoutMs: 10_000,
  tokenBudget: 32_000,
  toolOutputMaxChars: 16_000,
  maxTextChars: 10_000,
  maxContextChars: 60_000,
  maxOutputTokens: 4096,
  historyMessages: 20,
  memories: 8,
};

/** What the person reads when the model fails; their own message is already stored. */
const PROVIDER_FAILED = 'The familiar could not answer right now (the model provider failed). Your message was saved; please try again.';
const REFUSED = 'This message looks like an attempt to override the familiar’s instructions, so it was not answered.';

/** Control characters except tab and newline; bidi overrides are kept out of stored text too. */
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** The one pipeline every channel calls (DESIGN.md §1). */
export function createTurnRunner(options: TurnOptions): TurnRunner {
  const limits: TurnLimits = { ...DEFAULT_TURN_LIMITS, ...options.limits };
  const screen = options.screen ?? createInjectionScreen();
  const { familiars, conversations, audit, logger } = options;

  async function conversationFor(request: TurnRequest, familiar: Familiar): Promise<Conversation> {
    if (request.conversationId) {
      const loaded = request.conversation?.id === request.conversationId ? request.conversation : undefined;
      const c = loaded ?? (await conversations.get(request.userId, request.conversationId));
      // Checked here too, so a handed-in conversation is held to the same rule as a read one (DATA-4).
      if (!c || c.userId !== request.userId || c.familiarId !== familiar.id) throw new AppError('NOT_FOUND', 'Conversation not found');
      return c;
    }
    if (request.conversationKey)
      return conversations.byKey({
        userId: request.userId,
        familiarId: familiar.id,
        channel: request.channel,
        key: request.conversationKey,
      });
    return conversations.create({ userId: request.userId, familiarId: familiar.id, channel: request.channel });
  }

  async function retrieve(request: TurnRequest, text: string): Promise<RetrievedContext[]> {
    const all = await Promise.all(
      options.memoryRetrievers.map((r) =>
        r.retrieve({ userId: request.userId, familiarId: request.familiarId, text, limit: limits.memories }).catch((err: unknown) => {
          logger.warn({ err }, 'memory retrieval failed; continuing without it');
          return [] as RetrievedContext[];
        }),
      ),
    );
    return all.flat().slice(0, limits.memories * 2);
  }

  async function toolsFor(familiar: Familiar): Promise<Tool[]> {
    if (familiar.allowedTools.length === 0) return [];
    const lists = await Promise.all(options.toolProviders.map((p) => p.toolsFor({ id: familiar.id, allowedTools: familiar.allowedTools })));
    // Only tools the operator allowed for this familiar, whatever a provider returns.
    return lists.flat().filter((t) => familiar.allowedTools.includes(t.name));
  }

  return {
    async run(request: TurnRequest, onEvent: (event: TurnEvent) => void = () => undefined): Promise<TurnReply> {
      const requestId = request.requestId;
      const actor = { type: 'user' as const, id: request.userId };
      // 1. validate
      const text = request.text.replace(CONTROL, '').trim();
      if (!text) throw new AppError('VALIDATION_FAILED', 'Message text is empty');
      if (text.length > limits.maxTextChars)
        throw new AppError('VALIDATION_FAILED', `Message text is longer than ${limits.maxTextChars} characters`);
      const context = (request.context ?? []).map((c) => c.replace(CONTROL, ''));
      const total = context.reduce((n, c) => n + c.length, text.length);
      if (total > limits.maxContextChars)
        throw new AppError(
          'VALIDATION_FAILED',
          `The message and its context are ${total} characters; the limit is ${limits.maxContextChars} (HEARTH_TURN_MAX_CONTEXT_CHARS)`,
          { reason: 'CONTEXT_TOO_LONG', limit: limits.maxContextChars, total },
        );
      // 2. rate limits: each channel spends one budget per turn where the turn enters (HTTP user.chat, the channel hub).
      // 3. load familiar and conversation (404 for what the person may not reach)
      const familiar = await familiars.get(request.familiarId);
      if (!familiar || !familiars.canUse(familiar, { userId: request.userId, role: request.role }))
        throw new AppError('NOT_FOUND', 'Familiar not found');
      // A stateless turn (store: false) reads and writes nothing: the caller sent the whole conversation.
      const stateless =
        request.store === false
          ? statelessConversation({ userId: request.userId, familiarId: familiar.id, channel: request.channel, now: Date.now() })
          : undefined;
      const conversation = stateless?.conversation ?? (await conversationFor(request, familiar));
      const store: TurnStore = stateless?.store ?? conversations;
      // 4. screen: the person's words and every piece of caller-supplied context
      const screening = screenTurn(screen, text, context);
      const verdict = screening.overall;
      const action = verdict.flagged ? familiar.injectionPolicy : undefined;
      // An edit or a regeneration replaces the person's message and every later one: history ends before it.
      const history = request.historyFromCaller
        ? []
        : await store.messages(request.userId, conversation.id, {
            limit: limits.historyMessages,
            ...(request.replaceFrom ? { before: request.replaceFrom } : {}),
          });
      if (request.replaceFrom) await store.removeMessages(request.userId, conversation.id, request.replaceFrom, { andLater: true });
      const started = performance.now();
      const userMessage = await store.addMessage({
        conversationId: conversation.id,
        userId: request.userId,
        role: 'user',
        content: text,
        status: action === 'refuse' ? 'refused' : 'complete',
        screenScore: verdict.score,
      });
      onEvent({ type: 'start', conversationId: conversation.id, messageId: userMessage.id });
      const screened = action ? { score: verdict.score, action } : undefined;
      if (action) {
        logger.warn(
          { familiarId: familiar.id, score: verdict.score, signals: verdict.signals, action },
          'prompt-injection screen flagged a message',
        );
        await audit.record({
          actor,
          action: 'llm.injection_flagged',
          target: familiar.id,
          outcome: action === 'refuse' ? 'denied' : 'success',
          ...(requestId ? { requestId } : {}),
          details: {
            score: verdict.score,
            signals: verdict.signals,
            policy: action,
            channel: request.channel,
            length: text.length,
            ...(screening.flaggedContext ? { flaggedContext: screening.flaggedContext } : {}),
          },
        });
      }
      if (action === 'refuse') {
        const reply: TurnReply = {
          conversationId: conversation.id,
          messageId: userMessage.id,
          text: REFUSED,
          screened: { score: verdict.score, action },
        };
        onEvent({ type: 'delta', text: REFUSED });
        onEvent({ type: 'done', reply });
        return reply;
      }
      // 5. retrieve, assemble
      const memories = await retrieve(request, text);
      const spoken = action === 'neutralize' ? screening.neutralized() : { text, context };
      const { messages, tag } = assemblePrompt({
        persona: familiar.persona,
        familiarName: familiar.name,
        history,
        memories,
        context: spoken.context,
        text: spoken.text,
        exampleDialogue: familiar.exampleDialogue,
        lorebook: familiar.lorebook,
      });
      // 6. model call with the tool loop; what streamed so far is kept, to store if the person stops the turn.
      let partial = '';
      const emit = (event: TurnEvent) => {
        if (event.type === 'delta') partial += event.text;
        onEvent(event);
      };
      let result;
      let metered: MeteredModel | undefined;
      try {
        const budget = options.budgetFor?.({ userId: request.userId, familiarId: familiar.id, channel: request.channel, requestId });
        const resolved = await options.modelFor(familiar);
        const model = budget ? budget.model(resolved) : resolved;
        // The familiar's output limit, else its provider's, else the default; the caller's own within it.
        const configured = familiar.maxOutputTokens ?? model.maxOutputTokens ?? limits.maxOutputTokens;
        metered = meterModel(model, { maxTokens: Math.min(configured, request.maxOutputTokens ?? configured) });
        result = await runToolLoop({
          model: metered.model,
          modelName: familiar.model,
          temperature: familiar.temperature ?? undefined,
          sampling: familiar.sampling ?? undefined,
          messages,
          tools: budget ? budget.tools(await toolsFor(familiar)) : await toolsFor(familiar),
          tag,
          limits,
          context: {
            userId: request.userId,
            familiarId: familiar.id,
            conversationId: conversation.id,
            audit,
            ...(requestId ? { requestId } : {}),
          },
          signal: request.signal,
          audit,
          screen,
          onEvent: emit,
        });
      } catch (err) {
        // An aborted signal is the truth however the provider client reported it (a stream cut off reads as broken).
        const kind = request.signal?.aborted ? 'aborted' : err instanceof ProviderError ? err.kind : 'unexpected';
        if (kind === 'aborted') {
          // Stop or a client that went away: the provider request is already aborted; what streamed is kept, marked stopped.
          const stopped = await store.addMessage({
            conversationId: conversation.id,
            userId: request.userId,
            role: 'assistant',
            content: stripUnsafeLinks(partial).trim(),
            status: 'stopped',
            meta: { model: familiar.model, latencyMs: Math.round(performance.now() - started) },
          });
          await audit.record({
            actor,
            action: 'chat.turn',
            target: conversation.id,
            outcome: 'failure',
            ...(requestId ? { requestId } : {}),
            details: { familiarId: familiar.id, channel: request.channel, stopped: true, length: stopped.content.length },
          });
          onEvent({ type: 'error', code: 'BAD_REQUEST', message: 'The turn was cancelled' });
          throw new AppError(
            'BAD_REQUEST',
            'The turn was cancelled',
            { conversationId: conversation.id, messageId: userMessage.id, replyId: stopped.id },
            { cause: err },
          );
        }
        // A refusal Hearth made itself (a spent budget) is the person's business, not an operator's error.
        if (err instanceof AppError) logger.info({ code: err.code, familiarId: familiar.id }, 'model call refused');
        else logger.error({ err, familiarId: familiar.id, kind }, 'model call failed');
        const code = kind === 'timeout' ? 'GATEWAY_TIMEOUT' : err instanceof AppError ? err.code : 'BAD_GATEWAY';
        const message = err instanceof AppError ? err.message : PROVIDER_FAILED;
        onEvent({ type: 'error', code, message });
        // A refusal's own details and headers (a spent budget's reset time, Retry-After) reach the client.
        const known = err instanceof AppError ? err : undefined;
        throw new AppError(
          code,
          message,
          { ...known?.details, conversationId: conversation.id, messageId: userMessage.id },
          { cause: err, ...(known?.headers ? { headers: known.headers } : {}) },
        );
      }
      // 7. sanitize, persist, index, audit
      const replyText = stripUnsafeLinks(result.text).trim() || '…';
      const stored = await store.addMessage({
        conversationId: conversation.id,
        userId: request.userId,
        role: 'assistant',
        content: replyText,
        status: 'complete',
        meta: { model: familiar.model, tokens: result.tokens, latencyMs: Math.round(performance.now() - started) },
      });
      // Indexing is written behind (batched with other turns), not waited on: the reply is already stored.
      for (const r of stateless ? [] : options.memoryRetrievers) {
        if (!r.indexTurn) continue;
        for (const m of [userMessage, stored])
          r.indexTurn({
            userId: request.userId,
            familiarId: familiar.id,
            conversationId: conversation.id,
            messageId: m.id,
            role: m.role,
            text: m.content,
          }).catch((err: unknown) => {
            logger.warn({ err }, 'indexing the turn failed');
          });
        // The familiar already says whether it learns from conversations: no queue lookup per turn when it does not.
        if (familiar.memoryExtraction !== 'off')
          r.afterTurn?.({
            userId: request.userId,
            familiarId: familiar.id,
            conversationId: conversation.id,
            userMessageId: userMessage.id,
            replyMessageId: stored.id,
          }).catch((err: unknown) => {
            logger.warn({ err }, 'queueing the exchange for memory failed');
          });
      }
      await audit.record({
        actor,
        action: 'chat.turn',
        target: conversation.id,
        outcome: 'success',
        ...(requestId ? { requestId } : {}),
        details: {
          familiarId: familiar.id,
          channel: request.channel,
          rounds: result.rounds,
          tokens: result.tokens,
          ...(result.stoppedBy ? { stoppedBy: result.stoppedBy } : {}),
        },
      });
      const reply: TurnReply = {
        conversationId: conversation.id,
        messageId: stored.id,
        text: replyText,
        ...(stored.meta ? { meta: stored.meta } : {}),
        usage: metered.usage(),
        ...(metered.finishReason() ? { finishReason: metered.finishReason() } : {}),
        ...(screened ? { screened } : {}),
      };
      onEvent({ type: 'done', reply });
      return reply;
    },
  };
}
