import { columnTypes, type Migration } from '../../storage/index.js';

/** Audit log (LOG-3): entries, the chain head (also the append lock) and the retention checkpoint. */
export const auditMigrations: Migration[] = [
  {
    name: '0201_audit_log',
    async up(db, dialect) {
      const t = columnTypes(dialect);
      await db.schema
        .createTable('audit_log')
        .addColumn('seq', t.bigint, (c) => c.primaryKey())
        .addColumn('at', t.bigint, (c) => c.notNull())
        .addColumn('actor_type', 'text', (c) => c.notNull())
        .addColumn('actor_user_id', 'text')
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('target', 'text')
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('request_id', 'text')
        .addColumn('details', 'text')
        .addColumn('mac', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('audit_log_at').on('audit_log').column('at').execute();
      await db.schema.createIndex('audit_log_action').on('audit_log').columns(['action', 'seq']).execute();
      await db.schema.createIndex('audit_log_user').on('audit_log').columns(['actor_user_id', 'seq']).execute();
      await db.schema
        .createTable('audit_head')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('seq', t.bigint, (c) => c.notNull())
        .addColumn('mac', 'text', (c) => c.notNull())
        .execute();
      await db.insertInto('audit_head').values({ id: 1, seq: 0, mac: '' }).execute();
      await db.schema
        .createTable('audit_checkpoint')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('seq', t.bigint, (c) => c.notNull())
        .addColumn('mac', 'text', (c) => c.notNull())
        .addColumn('at', t.bigint, (c) => c.notNull())
        .addColumn('pruned', t.bigint, (c) => c.notNull())
        .addColumn('signature', 'text', (c) => c.notNull())
        .execute();
    },
    async down(db) {
      await db.schema.dropTable('audit_checkpoint').execute();
      await db.schema.dropTable('audit_head').execute();
      await db.schema.dropTable('audit_log').execute();
    },
  },
  {
    name: '1010_audit_personal',
    async up(db, dialect) {
      const t = columnTypes(dialect);
      await db.schema.alterTable('audit_log').addColumn('sealed_for', 'text').execute();
      await db.schema.alterTable('audit_log').addColumn('personal', 'text').execute();
      await db.schema.alterTable('audit_log').addColumn('target_tag', 'text').execute();
      await db.schema.createIndex('audit_log_target_tag').on('audit_log').columns(['target_tag', 'seq']).execute();
      await db.schema
        .createTable('audit_subjects')
        .addColumn('seq', t.bigint, (c) => c.notNull())
        .addColumn('key_id', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('audit_subjects_pk', ['key_id', 'seq'])
        .execute();
    },
    async down(db) {
      await db.schema.dropTable('audit_subjects').execute();
      await db.schema.dropIndex('audit_log_target_tag').execute();
      await db.schema.alterTable('audit_log').dropColumn('target_tag').execute();
      await db.schema.alterTable('audit_log').dropColumn('personal').execute();
      await db.schema.alterTable('audit_log').dropColumn('sealed_for').execute();
    },
  },
  {
    // #15: a channel-only person merged into a web account. The merged person's entries stay sealed
    // under their own key (the chain covers the seal), so the account's erasure must destroy it too.
    name: '1200_audit_subject_merges',
    async up(db, dialect) {
      const t = columnTypes(dialect);
      await db.schema
        .createTable('audit_subject_merges')
        .addColumn('key_id', 'text', (c) => c.notNull())
        .addColumn('merged_key_id', 'text', (c) => c.notNull())
        .addColumn('at', t.bigint, (c) => c.notNull())
        .addPrimaryKeyConstraint('audit_subject_merges_pk', ['key_id', 'merged_key_id'])
        .execute();
    },
    async down(db) {
      await db.schema.dropTable('audit_subject_merges').execute();
    },
  },
];
