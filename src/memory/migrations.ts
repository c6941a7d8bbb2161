import { sql } from 'kysely';
import { columnTypes, type Migration } from '../storage/index.js';

/** Memory tables, the lexical index (FTS5 / tsvector) and the embedding queue. */
export const memoryMigrations: Migration[] = [
  {
    name: '0400_memory',
    async up(db, dialect) {
      const t = columnTypes(dialect);
      await db.schema
        .createTable('memory_items')
        .addColumn('seq', t.serial, (c) => c.primaryKey())
        .addColumn('id', 'text', (c) => c.notNull().unique())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('familiar_id', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('text', 'text', (c) => c.notNull())
        .addColumn('metadata', 'text', (c) => c.notNull())
        .addColumn('provenance', 'text', (c) => c.notNull())
        .addColumn('source_ref', 'text')
        .addColumn('context', 'text')
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('created_at', t.bigint, (c) => c.notNull())
        .addColumn('updated_at', t.bigint, (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('memory_items_owner')
        .on('memory_items')
        .columns(['user_id', 'familiar_id', 'kind', 'created_at'])
        .execute();
      await db.schema
        .createTable('memory_versions')
        .addColumn('memory_id', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('text', 'text', (c) => c.notNull())
        .addColumn('metadata', 'text', (c) => c.notNull())
        .addColumn('provenance', 'text', (c) => c.notNull())
        .addColumn('change', 'text', (c) => c.notNull())
        .addColumn('changed_at', t.bigint, (c) => c.notNull())
        .addPrimaryKeyConstraint('memory_versions_pk', ['memory_id', 'version'])
        .execute();
      await db.schema.createIndex('memory_versions_user').on('memory_versions').column('user_id').execute();
      await db.schema
        .createTable('memory_embed_queue')
        .addColumn('seq', t.bigint, (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('enqueued_at', t.bigint, (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('memory_vectors')
        .addColumn('seq', t.bigint, (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('dims', 'integer', (c) => c.notNull())
        .addColumn('data', t.blob, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('memory_vectors_user').on('memory_vectors').columns(['user_id', 'dims', 'seq']).execute();
      if (dialect === 'sqlite') {
        // Contentless: the index holds only scoped tokens (see tokens.ts), never a second copy of the text.
        await sql`CREATE VIRTUAL TABLE memory_fts USING fts5(body, context, tokenize = 'porter unicode61 remove_diacritics 2', content = '', contentless_delete = 1)`.execute(
          db,
        );
      } else {
        await sql`ALTER TABLE memory_items ADD COLUMN tsv tsvector`.execute(db);
        await sql`CREATE INDEX memory_items_tsv ON memory_items USING gin (tsv)`.execute(db);
      }
    },
    async down(db, dialect) {
      if (dialect === 'sqlite') await sql`DROP TABLE IF EXISTS memory_fts`.execute(db);
      for (const table of ['memory_vectors', 'memory_embed_queue', 'memory_versions', 'memory_items'])
        await db.schema.dropTable(table).ifExists().execute();
    },
  },
  {
    // The newest indexed turn of a conversation in one index probe (latestTurn), however many turns a person has.
    // Numbered after every earlier migration so databases that already ran them apply it in order.
    name: '0700_memory_source_index',
    async up(db) {
      // Partial: only rows with a source (turns, imports), so bulk-added memories pay nothing for it.
      await db.schema
        .createIndex('memory_items_source')
        .on('memory_items')
        .columns(['user_id', 'source_ref'])
        .where(sql.ref('source_ref'), 'is not', null)
        .execute();
    },
    async down(db) {
      await db.schema.dropIndex('memory_items_source').ifExists().execute();
    },
  },
  {
    // DATA-2 on PostgreSQL: the blind token index that replaces the tsvector when memory text is
    // encrypted (blind-index.ts). Empty, and never read, while HEARTH_DATABASE_ENCRYPTION is off.
    name: '1300_memory_blind_index',
    async up(db, dialect) {
      if (dialect !== 'postgres') return;
      await sql`CREATE TABLE memory_blind_terms (user_id text NOT NULL, term bytea NOT NULL, seq bigint NOT NULL, tf real NOT NULL, len real NOT NULL, PRIMARY KEY (user_id, term, seq))`.execute(
        db,
      );
      await sql`CREATE INDEX memory_blind_terms_seq ON memory_blind_terms (seq)`.execute(db);
      // The entry's length in the blind index; set = indexed there (and its text sealed).
      await sql`ALTER TABLE memory_items ADD COLUMN blind_len real`.execute(db);
      // BM25's per-person entry count and mean length, from the index alone.
      await sql`CREATE INDEX memory_items_blind_len ON memory_items (user_id) INCLUDE (blind_len) WHERE blind_len IS NOT NULL`.execute(db);
    },
    async down(db, dialect) {
      if (dialect !== 'postgres') return;
      await sql`DROP INDEX IF EXISTS memory_items_blind_len`.execute(db);
      await sql`ALTER TABLE memory_items DROP COLUMN IF EXISTS blind_len`.execute(db);
      await sql`DROP TABLE IF EXISTS memory_blind_terms`.execute(db);
    },
  },
];
