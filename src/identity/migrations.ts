import { columnTypes, type Migration } from '../storage/index.js';

/** Users, sessions, API keys, one-time tokens (setup, invites, password resets) and JWT subject links. */
export const identityMigrations: Migration[] = [
  {
    name: '0100_identity',
    async up(db, dialect) {
      const t = columnTypes(dialect);
      await db.schema
        .createTable('identity_users')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('password_hash', 'text')
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('created_at', t.bigint, (c) => c.notNull())
        .addColumn('updated_at', t.bigint, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('identity_sessions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('created_at', t.bigint, (c) => c.notNull())
        .addColumn('last_seen_at', t.bigint, (c) => c.notNull())
        .addColumn('expires_at', t.bigint, (c) => c.notNull())
        .addColumn('ip', 'text')
        .addColumn('user_agent', 'text')
        .addColumn('revoked_at', t.bigint)
        .execute();
      await db.schema.createIndex('identity_sessions_user').on('identity_sessions').column('user_id').execute();
      await db.schema
        .createTable('identity_api_keys')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('key_hash', 'text', (c) => c.notNull().unique())
        .addColumn('prefix', 'text', (c) => c.notNull())
        .addColumn('scopes', 'text', (c) => c.notNull())
        .addColumn('created_at', t.bigint, (c) => c.notNull())
        .addColumn('expires_at', t.bigint)
        .addColumn('last_used_at', t.bigint)
        .addColumn('revoked_at', t.bigint)
        .execute();
      await db.schema.createIndex('identity_api_keys_user').on('identity_api_keys').column('user_id').execute();
      await db.schema
        .createTable('identity_tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text')
        .addColumn('created_at', t.bigint, (c) => c.notNull())
        .addColumn('expires_at', t.bigint, (c) => c.notNull())
        .addColumn('used_at', t.bigint)
        .execute();
      await db.schema
        .createTable('identity_jwt_subjects')
        .addColumn('issuer', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('created_at', t.bigint, (c) => c.notNull())
        .addPrimaryKeyConstraint('identity_jwt_subjects_pk', ['issuer', 'subject'])
        .execute();
    },
    async down(db) {
      for (const table of ['identity_jwt_subjects', 'identity_tokens', 'identity_api_keys', 'identity_sessions', 'identity_users'])
        await db.schema.dropTable(table).execute();
    },
  },
  {
    // Password-reset links name the person they are for; the index finds a person's links to withdraw them.
    name: '0900_identity_password_reset',
    async up(db) {
      await db.schema.alterTable('identity_tokens').addColumn('user_id', 'text').execute();
      await db.schema.createIndex('identity_tokens_user').on('identity_tokens').column('user_id').execute();
    },
    async down(db) {
      await db.schema.dropIndex('identity_tokens_user').execute();
      await db.schema.alterTable('identity_tokens').dropColumn('user_id').execute();
    },
  },
];
