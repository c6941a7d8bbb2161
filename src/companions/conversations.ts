import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
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

/** What a reply cost and took, shown on demand in the web chat. */
export interface MessageMeta {
  readonly model?: string;
  readonly tokens?: number;
  /** From the person's message being stored to the reply being complete. */
  readonly latencyMs?: number;
}

export interface Message {
  readonly id: string;
  readonly conversationId: string;
  readonly role: 'user' | 'assistant';
  readonly content: string;
  /** `stopped`: the person pressed Stop or went away; the reply holds what was streamed until then. */
  readonly status: 'complete' | 'refused' | 'failed' | 'stopped';
  readonly screenScore: number | null;
  readonly createdAt: number;
  readonly meta: MessageMeta | null;
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
  /** Removes what it keeps of some messages of a conversation (one deleted, or the turns an edit replaces). */
  removeMessages?(
    tx: Kysely<CoreTables>,
    messages: { userId: string; conversationId: string; messageIds: readonly string[] },
  ): Promise<void>;
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
  /** Newest first; `query` matches the title or any message's text (case-insensitive). */
  list(userId: string, options?: { limit?: number; before?: number | undefined; query?: string | undefined }): Promise<Conversation[]>;
  /** Sets the caller's conversation's title; undefined when it is not theirs. */
  rename(userId: string, id: string, title: string | null): Promise<Conversation | undefined>;
  addMessage(input: {
    conversationId: string;
    userId: string;
    role: 'user' | 'assistant';
    content: string;
    status: Message['status'];
    screenScore?: number | null;
    meta?: MessageMeta | null;
  }): Promise<Message>;
  /** One of the caller's messages in that conversation, or undefined. */
  message(userId: string, conversationId: string, messageId: string): Promise<Message | undefined>;
  /**
   * Deletes the caller's messages in a conversation, with what other concerns keep of them, in one
   * transaction: just `messageId`, or (`andLater`) it and every later one (an edit or a regeneration). Returns how many.
   */
  removeMessages(userId: string, conversationId: string, messageId: string, options?: { andLater?: boolean }): Promise<number>;
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
    meta: parseMeta(r.meta),
  };
}

function parseMeta(raw: string | null | undefined): MessageMeta | null {
  if (!raw) return null;
  try {
    const v = JSON.parse(raw) as Record<string, unknown>;
    return {
      ...(typeof v.model === 'string' ? { model: v.model } : {}),
      ...(typeof v.tokens === 'number' ? { tokens: v.tokens } : {}),
      ...(typeof v.latencyMs === 'number' ? { latencyMs: v.latencyMs } : {}),
    };
  } catch {
    return null;
  }
}

/** `%` and `_` match themselves in a LIKE pattern (escape character `\`). */
const likePattern = (text: string) => `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

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
      const query = opts.query?.trim();
      if (query) {
        const pattern = likePattern(query);
        const like = (column: 'conversations.title' | 'messages.content') =>
          sql<boolean>`lower(${sql.ref(column)}) like ${pattern} escape '\\'`;
        q = q.where((eb) =>
          eb.or([
            like('conversations.title'),
            eb.exists(
              eb
                .selectFrom('messages')
                .select('messages.id')
                .whereRef('messages.conversation_id', '=', 'conversations.id')
                .where('messages.user_id', '=', userId)
                .where(like('messages.content')),
            ),
          ]),
        );
      }
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
        meta: input.meta ? JSON.stringify(input.meta) : null,
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
    async rename(userId, id, title) {
      // The list's order stays: a rename is not activity.
      const result = await db
        .updateTable('conversations')
        .set({ title })
        .where('id', '=', id)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) return undefined;
      return store.get(userId, id);
    },
    async message(userId, conversationId, messageId) {
      const r = await db
        .selectFrom('messages')
        .selectAll()
        .where('id', '=', messageId)
        .where('conversation_id', '=', conversationId)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return r ? toMessage(r) : undefined;
    },
    async removeMessages(userId, conversationId, messageId, opts = {}) {
      const parts = options.conversationData?.() ?? [];
      for (const part of parts) await part.settle?.();
      return options.storage.db.transaction().execute(async (core) => {
        const trx = core.withTables<CompanionTables>();
        let q = trx.selectFrom('messages').select('id').where('conversation_id', '=', conversationId).where('user_id', '=', userId);
        q = opts.andLater ? q.where('id', '>=', messageId) : q.where('id', '=', messageId);
        const ids = (await q.execute()).map((r) => r.id);
        if (ids.length === 0) return 0;
        for (const part of parts) await part.removeMessages?.(core, { userId, conversationId, messageIds: ids });
        await trx.deleteFrom('messages').where('user_id', '=', userId).where('id', 'in', ids).execute();
        return ids.length;
      });
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
