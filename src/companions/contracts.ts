/**
 * The contract between channels and the turn (DESIGN.md §1). Every channel turns its inbound
 * events into a TurnRequest; the turn knows nothing of Discord or HTTP, channels know nothing
 * of memory or models.
 */

import type { Conversation, MessageMeta } from './conversations.js';
import type { ModelUsage } from '../providers/index.js';

export type ChannelName = 'web' | 'api' | 'openai' | 'telegram' | 'discord' | 'twitch' | 'voice';

export interface TurnRequest {
  readonly channel: ChannelName;
  /** The Hearth person, already identified (allowlist / pairing / credential) by the channel. */
  readonly userId: string;
  readonly familiarId: string;
  /** Existing conversation; channels without one (a Telegram chat) pass a stable key instead. */
  readonly conversationId?: string;
  /** Stable per-channel conversation key, e.g. `telegram:chat:123`; used when conversationId is absent. */
  readonly conversationKey?: string;
  /** The conversation `conversationId` names, when the channel already loaded it; the turn then does not read it again. */
  readonly conversation?: Conversation;
  readonly text: string;
  readonly requestId?: string;
  /** Cancels the model call (stop button, client disconnect). */
  readonly signal?: AbortSignal;
  /** Extra system-free context the channel wants the model to see as data (e.g. caller system messages). */
  readonly context?: readonly string[];
  /** The person's role when the channel knows it; admins and owners may use every familiar. */
  readonly role?: 'owner' | 'admin' | 'member';
  /**
   * An edit or a regeneration: this message of the person's (already checked to be theirs, in this
   * conversation) and every later one are deleted, and `text` is stored in its place.
   */
  readonly replaceFrom?: string;
  /**
   * false: a stateless turn, nothing stored (no conversation, message or indexed turn); the caller
   * sends the whole conversation in `context` (the OpenAI endpoint when the client names no conversation).
   */
  readonly store?: boolean;
  /** The caller sends the conversation so far itself (in `context`): stored messages are not added to the prompt, so nothing goes twice. */
  readonly historyFromCaller?: boolean;
  /** The caller's own output limit (OpenAI `max_tokens`), honoured within the familiar's or provider's. */
  readonly maxOutputTokens?: number;
}

export type TurnEvent =
  | { readonly type: 'start'; readonly conversationId: string; readonly messageId: string }
  | { readonly type: 'delta'; readonly text: string }
  | { readonly type: 'tool'; readonly name: string; readonly status: 'started' | 'done' | 'failed' | 'waiting_approval' }
  | { readonly type: 'done'; readonly reply: TurnReply }
  | { readonly type: 'error'; readonly code: string; readonly message: string };

export interface TurnReply {
  readonly conversationId: string;
  readonly messageId: string;
  readonly text: string;
  /** The reply's model, tokens and latency, as stored. */
  readonly meta?: MessageMeta;
  /** Tokens the model calls used (the provider's figures, or an estimate marked so); absent when no model was called. */
  readonly usage?: ModelUsage;
  /** The last model call's finish reason (`stop`, `length`…). */
  readonly finishReason?: string;
  /** Set when the screen flagged the inbound text (LLM-2). */
  readonly screened?: { readonly score: number; readonly action: 'log' | 'neutralize' | 'refuse' };
}

/** Runs one turn; emits events as it goes (for streaming channels) and resolves with the reply. */
export interface TurnRunner {
  run(request: TurnRequest, onEvent?: (event: TurnEvent) => void): Promise<TurnReply>;
}

/** A memory or past turn handed to the prompt as untrusted, delimited data. */
export interface RetrievedContext {
  readonly kind: 'memory' | 'past_turn' | 'note';
  readonly id: string;
  readonly text: string;
  /** Where it came from; `external` content is always untrusted (MEM-2). */
  readonly provenance: 'owner' | 'person' | 'familiar' | 'external';
  readonly score?: number;
}

/** Filled by the memory concern; the turn calls it before assembling the prompt. */
export interface MemoryRetriever {
  retrieve(query: { userId: string; familiarId: string; text: string; limit: number }): Promise<RetrievedContext[]>;
  /** Called after a turn is persisted, so past turns become searchable; the turn does not wait for it. */
  indexTurn?(turn: {
    userId: string;
    familiarId: string;
    conversationId: string;
    messageId: string;
    role: 'user' | 'assistant';
    text: string;
  }): Promise<void>;
  /** Called once per stored exchange (automatic memory, MEM-2); the turn does not wait for it. */
  afterTurn?(exchange: {
    userId: string;
    familiarId: string;
    conversationId: string;
    userMessageId: string;
    replyMessageId: string;
  }): Promise<void>;
}
