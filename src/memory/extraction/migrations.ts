import { columnTypes, type Migration } from '../../storage/index.js';

/** Tables of automatic memory (MEM-2): the extraction queue and the facts waiting for the person's yes. */
export type ExtractionTables = {
  /** One exchange to learn from; the texts are read from the conversation when the job runs. */
  memory_extract_queue: {
    id: string;
    user_id: string;
    familiar_id: string;
    conversation_id: string;
    user_message_id: string;
    reply_message_id: string;
    attempts: number;
    enqueued_at: number;
  };
  /** A fact the familiar would remember, shown to the person first (a familiar set to "ask"). */
  memory_proposals: {
    id: string;
    user_id: string;
    familiar_id: string;
    text: string;
    /** The memory it would replace, when it contradicts one. */
    supersedes: string | null;
    source_ref: string;
    created_at: number;
  };
};

export const extractionMigrations: Migration[] = [
  {
    name: '1050_memory_extraction',
    async up(db, dialect) {
      const t = columnTypes(dialect);
      await db.schema
        .createTable('memory_extract_queue')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('familiar_id', 'text', (c) => c.notNull())
        .addColumn('conversation_id', 'text', (c) => c.notNull())
        .addColumn('user_message_id', 'text', (c) => c.notNull())
        .addColumn('reply_message_id', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('enqueued_at', t.bigint, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('memory_proposals')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('familiar_id', 'text', (c) => c.notNull())
        .addColumn('text', 'text', (c) => c.notNull())
        .addColumn('supersedes', 'text')
        .addColumn('source_ref', 'text', (c) => c.notNull())
        .addColumn('created_at', t.bigint, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('memory_proposals_user').on('memory_proposals').columns(['user_id', 'created_at']).execute();
    },
    async down(db) {
      await db.schema.dropTable('memory_proposals').ifExists().execute();
      await db.schema.dropTable('memory_extract_queue').ifExists().execute();
    },
  },
];
