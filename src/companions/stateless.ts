import { randomUUID } from 'node:crypto';
import type { Conversation, ConversationStore, Message } from './conversations.js';

/** The part of the store one turn uses. */
export type TurnStore = Pick<ConversationStore, 'messages' | 'addMessage' | 'removeMessages'>;

/**
 * A stateless turn's conversation (the OpenAI endpoint when the client names none): the caller sends
 * the whole conversation itself, so nothing is read from or written to the store. Messages get ids
 * (events and the reply carry them) but exist only for the turn.
 */
export function statelessConversation(input: { userId: string; familiarId: string; channel: string; now: number }): {
  conversation: Conversation;
  store: TurnStore;
} {
  const conversation: Conversation = {
    id: `stateless-${randomUUID()}`,
    userId: input.userId,
    familiarId: input.familiarId,
    channel: input.channel,
    title: null,
    createdAt: input.now,
    updatedAt: input.now,
  };
  const store: TurnStore = {
    messages: async () => [],
    removeMessages: async () => 0,
    addMessage: async (m): Promise<Message> => ({
      id: randomUUID(),
      conversationId: conversation.id,
      role: m.role,
      content: m.content,
      status: m.status,
      screenScore: m.screenScore ?? null,
      createdAt: input.now,
      meta: m.meta ?? null,
    }),
  };
  return { conversation, store };
}
