import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { CoreTables, Storage } from '../storage/index.js';
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
 * What another concern keeps of one conversation (memory: its indexed turns, their index rows and
 * vectors), removed with the conversation in the same transaction. Contributed as `conversationData`.
 */
export interface ConversationData {
  /** Names the part in errors ("memories"). */
  readonly part: string;
  /** Runs before the transaction: writes still queued for the conversation land first, so they go too. */
  settle?(): Promise<void>;
  /** Removes what it keeps of the conversation, inside the deletion's transaction; counts by kind (no content). */
  remove(tx: Kysely<CoreTables>, conversation: { userId: string; conversationId: string }): Promise<Record<string, number>>;
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
  /**
   * Deletes the caller's conversation, its messages and what other concerns keep of it (its indexed
   * turns) in one transaction; undefined when it is not theirs. Counts by kind, never content.
   */
  erase(userId: string, id: string): Promise<Record<string, number> | undefined>;
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

export function createConversationStore(options: {
  storage: Storage;
  now?: () => number;
  /** What other concerns keep of a conversation; read at deletion time (the list grows as plugins start). */
  conversationData?: () => readonly ConversationData[];
}): ConversationStore {
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
      return (await store.erase(userId, id)) !== undefined;
    },
    async erase(userId, id) {
      const parts = options.conversationData?.() ?? [];
      // Queued writes (turns being indexed) land before the transaction, or they would outlive it.
      for (const part of parts) await part.settle?.();
      return options.storage.db.transaction().execute(async (core) => {
        const trx = core.withTables<CompanionTables>();
        const owned = await trx
          .selectFrom('conversations')
          .select('id')
          .where('id', '=', id)
          .where('user_id', '=', userId)
          .executeTakeFirst();
        if (!owned) return undefined;
        const removed: Record<string, number> = {};
        // What others keep of it first, then the messages, then the conversation; a failure rolls all of it back.
        for (const part of parts) Object.assign(removed, await part.remove(core, { userId, conversationId: id }));
        const messages = await trx.deleteFrom('messages').where('conversation_id', '=', id).executeTakeFirst();
        await trx.deleteFrom('conversations').where('id', '=', id).where('user_id', '=', userId).execute();
        return { ...removed, messages: Number(messages.numDeletedRows), conversations: 1 };
      });
    },
  };
  return store;
}
