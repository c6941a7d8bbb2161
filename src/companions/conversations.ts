import { randomUUID } from 'node:crypto';
import type { Storage } from '../storage/index.js';
import type { CompanionTables } from './migrations.js';
import { createIdGenerator } from './ids.js';

export interface Conversation {
  readonly id: string;
  readonly userId: string;
  readonly familiarId: string;
  readonly channel: string;
  readonly title: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface Message {
  readonly id: string;
  readonly conversationId: string;
  readonly role: 'user' | 'assistant';
  readonly content: string;
  readonly status: 'complete' | 'refused' | 'failed';
  readonly screenScore: number | null;
  readonly createdAt: number;
}

/**
 * Conversations and messages. Every read takes the owner's user id (DATA-4): another person's
 * conversation simply does not exist for the caller.
 */
export interface ConversationStore {
  create(input: {
    userId: string;
    familiarId: string;
    channel: string;
    key?: string | undefined;
    title?: string | null;
  }): Promise<Conversation>;
  /** The caller's own conversation, or undefined. */
  get(userId: string, id: string): Promise<Conversation | undefined>;
  /** Find or create the conversation for a stable channel key (a Telegram chat). */
  byKey(input: { userId: string; familiarId: string; channel: string; key: string }): Promise<Conversation>;
  list(userId: string, options?: { limit?: number; before?: number | undefined }): Promise<Conversation[]>;
  addMessage(input: {
    conversationId: string;
    userId: string;
    role: 'user' | 'assistant';
    content: string;
    status: Message['status'];
    screenScore?: number | null;
  }): Promise<Message>;
  /** A page of messages, oldest first; `before` is a message id for paging backwards. */
  messages(userId: string, conversationId: string, options?: { limit?: number; before?: string | undefined }): Promise<Message[]>;
  remove(userId: string, id: string): Promise<boolean>;
}

function toConversation(r: CompanionTables['conversations']): Conversation {
  return {
    id: r.id,
    userId: r.user_id,
    familiarId: r.familiar_id,
    channel: r.channel,
    title: r.title,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}
function toMessage(r: CompanionTables['messages']): Message {
  return {
    id: r.id,
    conversationId: r.conversation_id,
    role: r.role,
    content: r.content,
    status: r.status as Message['status'],
    screenScore: r.screen_score === null ? null : Number(r.screen_score),
    createdAt: Number(r.created_at),
  };
}

export function createConversationStore(options: { storage: Storage; now?: () => number }): ConversationStore {
  const db = options.storage.db.withTables<CompanionTables>();
  const now = options.now ?? Date.now;
  const nextId = createIdGenerator(now);

  const store: ConversationStore = {
    async create(input) {
      const t = now();
      const row = {
        id: randomUUID(),
        user_id: input.userId,
        familiar_id: input.familiarId,
        channel: input.channel,
        conversation_key: input.key ?? null,
        title: input.title ?? null,
        created_at: t,
        updated_at: t,
      };
      await db.insertInto('conversations').values(row).execute();
      return toConversation(row);
    },
    async get(userId, id) {
      const r = await db.selectFrom('conversations').selectAll().where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
      return r ? toConversation(r) : undefined;
    },
    async byKey(input) {
      const find = () =>
        db
          .selectFrom('conversations')
          .selectAll()
          .where('user_id', '=', input.userId)
          .where('familiar_id', '=', input.familiarId)
          .where('conversation_key', '=', input.key)
          .executeTakeFirst();
      const existing = await find();
      if (existing) return toConversation(existing);
      try {
        return await store.create({ ...input, key: input.key });
      } catch (err) {
        // Two turns raced to create it; the unique index kept one.
        const again = await find();
        if (again) return toConversation(again);
        throw err;
      }
    },
    async list(userId, opts = {}) {
      let q = db.selectFrom('conversations').selectAll().where('user_id', '=', userId);
      if (opts.before !== undefined) q = q.where('updated_at', '<', opts.before);
      const rows = await q
        .orderBy('updated_at', 'desc')
        .orderBy('id')
        .limit(Math.min(opts.limit ?? 50, 200))
        .execute();
      return rows.map(toConversation);
    },
    async addMessage(input) {
      const t = now();
      const row = {
        id: nextId(),
        conversation_id: input.conversationId,
        user_id: input.userId,
        role: input.role,
        content: input.content,
        status: input.status,
        screen_score: input.screenScore ?? null,
        created_at: t,
      };
      // The insert also sets the conversation's updated_at (trigger of migration 0800).
      await db.insertInto('messages').values(row).execute();
      return toMessage(row);
    },
    async messages(userId, conversationId, opts = {}) {
      let q = db.selectFrom('messages').selectAll().where('conversation_id', '=', conversationId).where('user_id', '=', userId);
      if (opts.before) q = q.where('id', '<', opts.before);
      const rows = await q
        .orderBy('id', 'desc')
        .limit(Math.min(Math.max(opts.limit ?? 50, 1), 200))
        .execute();
      return rows.reverse().map(toMessage);
    },
    async remove(userId, id) {
      return db.transaction().execute(async (trx) => {
        const res = await trx.deleteFrom('conversations').where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
        if (Number(res.numDeletedRows) === 0) return false;
        await trx.deleteFrom('messages').where('conversation_id', '=', id).execute();
        return true;
      });
    },
  };
  return store;
}
