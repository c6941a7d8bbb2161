import { columnTypes, type Migration } from '../../storage/index.js';

/** Channel identities, pairing requests and channel settings (CH-2..CH-4). */
export const channelMigrations: Migration[] = [
  {
    name: '0500_channels',
    async up(db, dialect) {
      const t = columnTypes(dialect);
      await db.schema
        .createTable('channel_identities')
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('external_id', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('display_name', 'text')
        .addColumn('created_at', t.bigint, (c) => c.notNull())
        .addPrimaryKeyConstraint('channel_identities_pk', ['channel', 'external_id'])
        .execute();
      await db.schema.createIndex('channel_identities_user').on('channel_identities').column('user_id').execute();
      await db.schema
        .createTable('channel_pairings')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('external_id', 'text', (c) => c.notNull())
        .addColumn('display_name', 'text')
        .addColumn('code', 'text', (c) => c.notNull().unique())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', t.bigint, (c) => c.notNull())
        .addColumn('expires_at', t.bigint, (c) => c.notNull())
        .addColumn('decided_at', t.bigint)
        .addColumn('decided_by', 'text')
        .addColumn('user_id', 'text')
        .execute();
      await db.schema.createIndex('channel_pairings_pending').on('channel_pairings').columns(['channel', 'status', 'expires_at']).execute();
      await db.schema
        .createTable('channel_settings')
        .addColumn('channel', 'text', (c) => c.primaryKey())
        .addColumn('token_sealed', 'text')
        .addColumn('settings', 'text', (c) => c.notNull())
        .addColumn('updated_at', t.bigint, (c) => c.notNull())
        .execute();
    },
    async down(db) {
      await db.schema.dropTable('channel_settings').execute();
      await db.schema.dropTable('channel_pairings').execute();
      await db.schema.dropTable('channel_identities').execute();
    },
  },
  {
    // Link codes: the consent of each side before a channel identity speaks as a person (#15).
    name: '1050_channel_link_codes',
    async up(db, dialect) {
      const t = columnTypes(dialect);
      await db.schema
        .createTable('channel_link_codes')
        .addColumn('code_hash', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text')
        .addColumn('channel', 'text')
        .addColumn('external_id', 'text')
        .addColumn('display_name', 'text')
        .addColumn('created_at', t.bigint, (c) => c.notNull())
        .addColumn('expires_at', t.bigint, (c) => c.notNull())
        .addColumn('used_at', t.bigint)
        .execute();
      await db.schema.createIndex('channel_link_codes_user').on('channel_link_codes').column('user_id').execute();
      await db.schema.createIndex('channel_link_codes_identity').on('channel_link_codes').columns(['channel', 'external_id']).execute();
    },
    async down(db) {
      await db.schema.dropTable('channel_link_codes').execute();
    },
  },
];
