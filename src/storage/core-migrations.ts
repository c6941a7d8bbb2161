import type { Migration } from './migrations.js';
import { columnTypes } from './migrations.js';

export const coreMigrations: Migration[] = [
  {
    name: '0001_core_settings',
    async up(db, dialect) {
      const t = columnTypes(dialect);
      await db.schema
        .createTable('settings')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('updated_at', t.bigint, (c) => c.notNull())
        .execute();
    },
    async down(db) {
      await db.schema.dropTable('settings').execute();
    },
  },
];
