import { sql, type Kysely } from 'kysely';
import type { Logger } from '../logging/index.js';
import { columnTypes, type Migration, type Storage } from '../storage/index.js';
import type { MemoryRepository } from './types.js';

/**
 * What recovery reads of the conversations' tables (owned by companions, migration 0600): the
 * stored messages are the truth a lost index entry is rebuilt from.
 */
type RecoveryTables = {
  messages: { id: string; conversation_id: string; user_id: string; role: string; content: string; status: string; created_at: number };
  conversations: { id: string; familiar_id: string };
  memory_items: { user_id: string; source_ref: string | null; kind: string };
  memory_turn_index: { name: string; scanned_to: number };
};

/** How far back each scan looks again before its mark: a replica's write-behind still in flight when the mark was set. */
const OVERLAP_MS = 10 * 60_000;
const PAGE = 500;

/** The recovery mark (1230) and an index to scan recent messages by time. */
export const turnRecoveryMigrations: Migration[] = [
  {
    name: '1230_memory_turn_index_recovery',
    async up(db, dialect) {
      await db.schema
        .createTable('memory_turn_index')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('scanned_to', columnTypes(dialect).bigint, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('messages_created').on('messages').column('created_at').execute();
    },
    async down(db) {
      await db.schema.dropIndex('messages_created').ifExists().execute();
      await db.schema.dropTable('memory_turn_index').ifExists().execute();
    },
  },
];

/**
 * A turn acknowledged to the person is never missing from the memory index after a crash (its
 * write-behind batch was only in memory): complete replies stored since the last mark that have no
 * index entry are indexed again with the person's message before them. Indexing is idempotent
 * (the repository skips turns already indexed), so a repeated or concurrent run adds nothing twice.
 * Returns how many messages were indexed again.
 */
export async function recoverTurnIndex(options: {
  storage: Storage;
  repo: Pick<MemoryRepository, 'addTurn'>;
  logger: Logger;
  now: () => number;
}): Promise<number> {
  const db = options.storage.db as unknown as Kysely<RecoveryTables>;
  const startedAt = options.now();
  const mark = await db.selectFrom('memory_turn_index').select('scanned_to').where('name', '=', 'turns').executeTakeFirst();
  const from = mark ? Number(mark.scanned_to) - OVERLAP_MS : 0;
  let redone = 0;
  let after = { at: from, id: '' };
  for (;;) {
    const replies = await db
      .selectFrom('messages as m')
      .innerJoin('conversations as c', 'c.id', 'm.conversation_id')
      .select(['m.id', 'm.conversation_id', 'm.user_id', 'm.content', 'm.created_at', 'c.familiar_id'])
      .where((eb) => eb.or([eb('m.created_at', '>', after.at), eb.and([eb('m.created_at', '=', after.at), eb('m.id', '>', after.id)])]))
      .where('m.role', '=', 'assistant')
      .where('m.status', '=', 'complete')
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('memory_items as i')
              .select(sql`1`.as('one'))
              .whereRef('i.user_id', '=', 'm.user_id')
              .where('i.source_ref', '=', sql<string>`m.conversation_id || ':' || m.id`),
          ),
        ),
      )
      .orderBy('m.created_at')
      .orderBy('m.id')
      .limit(PAGE)
      .execute();
    const writes: Promise<void>[] = [];
    for (const reply of replies) {
      // The person's message the reply answered: the one before it in its conversation.
      const asked = await db
        .selectFrom('messages')
        .select(['id', 'role', 'content'])
        .where('conversation_id', '=', reply.conversation_id)
        .where('user_id', '=', reply.user_id)
        .where('id', '<', reply.id)
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      const turn = { userId: reply.user_id, familiarId: reply.familiar_id, conversationId: reply.conversation_id };
      if (asked?.role === 'user') writes.push(options.repo.addTurn({ ...turn, messageId: asked.id, role: 'user', text: asked.content }));
      writes.push(options.repo.addTurn({ ...turn, messageId: reply.id, role: 'assistant', text: reply.content }));
      redone++;
    }
    // The batches' commits: a failure throws here, so the job is retried and the mark stays.
    await Promise.all(writes);
    const last = replies.at(-1);
    if (!last || replies.length < PAGE) break;
    after = { at: Number(last.created_at), id: last.id };
  }
  const scannedTo = startedAt;
  const updated = await db.updateTable('memory_turn_index').set({ scanned_to: scannedTo }).where('name', '=', 'turns').executeTakeFirst();
  if (Number(updated.numUpdatedRows) === 0)
    await db
      .insertInto('memory_turn_index')
      .values({ name: 'turns', scanned_to: scannedTo })
      .onConflict((oc) => oc.column('name').doUpdateSet({ scanned_to: scannedTo }))
      .execute();
  if (redone > 0) options.logger.warn({ replies: redone }, 'indexed again turns a crash left out of the memory index');
  return redone;
}
