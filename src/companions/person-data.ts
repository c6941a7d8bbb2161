import type { Kysely } from 'kysely';
import type { FamiliarData, PersonData } from '../core/index.js';
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
    // Every conversation moves with its messages; one whose channel key the account already uses keeps
    // its messages under a key of its own (`…#merged-<id>`), so two conversations are never merged.
    reassign: (from, to) =>
      db.transaction().execute(async (tx) => {
        const taken = await tx
          .selectFrom('conversations as c')
          .innerJoin('conversations as mine', (j) =>
            j
              .onRef('mine.familiar_id', '=', 'c.familiar_id')
              .onRef('mine.conversation_key', '=', 'c.conversation_key')
              .on('mine.user_id', '=', to),
          )
          .select(['c.id', 'c.conversation_key'])
          .where('c.user_id', '=', from)
          .execute();
        for (const c of taken)
          await tx
            .updateTable('conversations')
            .set({ conversation_key: `${c.conversation_key}#merged-${c.id}` })
            .where('id', '=', c.id)
            .execute();
        const messages = await tx.updateTable('messages').set({ user_id: to }).where('user_id', '=', from).executeTakeFirst();
        const conversations = await tx.updateTable('conversations').set({ user_id: to }).where('user_id', '=', from).executeTakeFirst();
        return { conversations: Number(conversations.numUpdatedRows), messages: Number(messages.numUpdatedRows) };
      }),
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

/** A familiar's conversations and their messages: counted before its deletion, removed with `data=delete`. */
export function companionFamiliarData(db: Kysely<CoreTables & CompanionTables>): FamiliarData {
  const ofFamiliar = (familiarId: string) => db.selectFrom('conversations').select('id').where('familiar_id', '=', familiarId);
  return {
    part: 'conversations',
    async count(familiarId) {
      const c = await db
        .selectFrom('conversations')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('familiar_id', '=', familiarId)
        .executeTakeFirst();
      const m = await db
        .selectFrom('messages')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('conversation_id', 'in', ofFamiliar(familiarId))
        .executeTakeFirst();
      return { conversations: Number(c?.n ?? 0), messages: Number(m?.n ?? 0) };
    },
    erase: (familiarId) =>
      db.transaction().execute(async (tx) => {
        const old = tx.selectFrom('conversations').select('id').where('familiar_id', '=', familiarId);
        const messages = await tx.deleteFrom('messages').where('conversation_id', 'in', old).executeTakeFirst();
        const conversations = await tx.deleteFrom('conversations').where('familiar_id', '=', familiarId).executeTakeFirst();
        return { messages: Number(messages.numDeletedRows), conversations: Number(conversations.numDeletedRows) };
      }),
  };
}
