import { columnTypes, type Migration } from '../../storage/index.js';

/** Sealed data keys (e.g. the audit MAC key): random keys kept under the master key. */
export const vaultMigrations: Migration[] = [
  {
    name: '0200_vault_data_keys',
    async up(db, dialect) {
      const t = columnTypes(dialect);
      await db.schema
        .createTable('vault_data_keys')
        .addColumn('purpose', 'text', (c) => c.primaryKey())
        .addColumn('sealed', 'text', (c) => c.notNull())
        .addColumn('created_at', t.bigint, (c) => c.notNull())
        .execute();
    },
    async down(db) {
      await db.schema.dropTable('vault_data_keys').execute();
    },
  },
];
