import { columnTypes, type Migration } from '../../storage/index.js';

/** Webhook secrets (sealed) and the replay cache used when Redis is not configured (HOOK-1). */
export const webhookMigrations: Migration[] = [
  {
    name: '0202_webhooks',
    async up(db, dialect) {
      const t = columnTypes(dialect);
      await db.schema
        .createTable('webhook_secrets')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('secret', 'text', (c) => c.notNull())
        .addColumn('created_at', t.bigint, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('webhook_replays')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('expires_at', t.bigint, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('webhook_replays_expiry').on('webhook_replays').column('expires_at').execute();
    },
    async down(db) {
      await db.schema.dropTable('webhook_replays').execute();
      await db.schema.dropTable('webhook_secrets').execute();
    },
  },
];
