import type { Kysely } from 'kysely';
import type { PersonData } from '../core/index.js';
import type { CoreTables } from '../storage/index.js';
import type { CompanionTables } from './migrations.js';

/** A person's conversations and messages: in their export, gone at erasure, pruned by retention (DATA-5). */
export function companionPersonData(db: Kysely<CoreTables & CompanionTables>): PersonData {
  return {
    part: 'conversations',
    async export(userId) {
      const conversations = await db.selectFrom('conversations').selectAll().where('user_id', '=', userId).execute();
      const messages = await db.selectFrom('messages').selectAll().where('user_id', '=', userId).execute();
      return { conversations: conversations.map((c) => ({ ...c, messages: messages.filter((m) => m.conversation_id === c.id) })) };
    },
    erase: (userId) =>
      db.transaction().execute(async (tx) => ({
        messages: Number((await tx.deleteFrom('messages').where('user_id', '=', userId).executeTakeFirst()).numDeletedRows),
        conversations: Number((await tx.deleteFrom('conversations').where('user_id', '=', userId).executeTakeFirst()).numDeletedRows),
      })),
    prune: (before) =>
      db.transaction().execute(async (tx) => {
        const old = tx.selectFrom('conversations').select('id').where('updated_at', '<', before);
        await tx.deleteFrom('messages').where('conversation_id', 'in', old).execute();
        return {
          conversations: Number((await tx.deleteFrom('conversations').where('updated_at', '<', before).executeTakeFirst()).numDeletedRows),
        };
      }),
  };
}
