import type { AuditLog } from '../security/audit/index.js';
import { createInjectionScreen, neutralizedNotice, type InjectionScreen } from '../security/screen/index.js';
import { stripUnsafeLinks } from '../security/sanitize/index.js';
import { ProviderError, type ChatModel } from '../providers/index.js';
import { AppError } from '../core/index.js';
import type { Logger } from '../logging/index.js';
import type { Tool, ToolProvider } from '../tools/index.js';
import type { MemoryRetriever, RetrievedContext, TurnEvent, TurnReply, TurnRequest, TurnRunner } from './contracts.js';
import type { ConversationStore, Conversation } from './conversations.js';
import type { FamiliarService, Familiar } from './familiars.js';
import { assemblePrompt } from './prompt.js';
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
}

interface TurnLimits extends ToolLoopLimits {
  /** Characters of one inbound message (HTTP-6: 10,000). */
  readonly maxTextChars: number;
  readonly historyMessages: number;
  readonly memories: number;
}

const DEFAULT_TURN_LIMITS: TurnLimits = {
  maxRounds: 5,
  toolTimeoutMs: 10_000,
  tokenBudget: 32_000,
  toolOutputMaxChars: 16_000,
  maxTextChars: 10_000,
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
      // 2. rate limits: each channel spends one budget per turn where the turn enters (HTTP user.chat, the channel hub).
      // 3. load familiar and conversation (404 for what the person may not reach)
      const familiar = await familiars.get(request.familiarId);
      if (!familiar || !familiars.canUse(familiar, { userId: request.userId, role: request.role }))
        throw new AppError('NOT_FOUND', 'Familiar not found');
      const conversation = await conversationFor(request, familiar);
      // 4. screen
      const verdict = screen.screen(text);
      const action = verdict.flagged ? familiar.injectionPolicy : undefined;
      const history = await conversations.messages(request.userId, conversation.id, { limit: limits.historyMessages });
      const userMessage = await conversations.addMessage({
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
          details: { score: verdict.score, signals: verdict.signals, policy: action, channel: request.channel, length: text.length },
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
      const spoken = action === 'neutralize' ? neutralizedNotice(text, verdict) : text;
      const { messages, tag } = assemblePrompt({
        persona: familiar.persona,
        familiarName: familiar.name,
        history,
        memories,
        context: request.context ?? [],
        text: spoken,
      });
      // 6. model call with the tool loop
      let result;
      try {
        const model = await options.modelFor(familiar);
        result = await runToolLoop({
          model,
          modelName: familiar.model,
          temperature: familiar.temperature ?? undefined,
          messages,
          tools: await toolsFor(familiar),
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
          onEvent,
        });
      } catch (err) {
        const kind = err instanceof ProviderError ? err.kind : 'unexpected';
        logger.error({ err, familiarId: familiar.id, kind }, 'model call failed');
        const code =
          kind === 'timeout' ? 'GATEWAY_TIMEOUT' : kind === 'aborted' ? 'BAD_REQUEST' : err instanceof AppError ? err.code : 'BAD_GATEWAY';
        const message = err instanceof AppError ? err.message : kind === 'aborted' ? 'The turn was cancelled' : PROVIDER_FAILED;
        onEvent({ type: 'error', code, message });
        throw new AppError(code, message, { conversationId: conversation.id, messageId: userMessage.id }, { cause: err });
      }
      // 7. sanitize, persist, index, audit
      const replyText = stripUnsafeLinks(result.text).trim() || '…';
      const stored = await conversations.addMessage({
        conversationId: conversation.id,
        userId: request.userId,
        role: 'assistant',
        content: replyText,
        status: 'complete',
      });
      // Indexing is written behind (batched with other turns), not waited on: the reply is already stored.
      for (const r of options.memoryRetrievers) {
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
        ...(screened ? { screened } : {}),
      };
      onEvent({ type: 'done', reply });
      return reply;
    },
  };
}
