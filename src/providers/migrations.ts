import { columnTypes, type Migration } from '../storage/index.js';

export type ProviderTables = {
  providers: {
    id: string;
    name: string;
    base_url: string;
    /** Vault-sealed API key (DATA-1); null for keyless local servers. */
    api_key_sealed: string | null;
    api_key_last4: string | null;
    default_model: string | null;
    timeout_ms: number;
    max_retries: number;
    /** Most output tokens its models accept per call; null: none set (a familiar's own limit comes first). */
    max_output_tokens: number | null;
    /** 1: plain http to a private-network address is allowed (an explicit, audited operator choice). */
    trusted_local_network: number;
    created_at: number;
    updated_at: number;
  };
};

export const providerMigrations: Migration[] = [
  {
    name: '0300_2_providers',
    async up(db, dialect) {
      const t = columnTypes(dialect);
      await db.schema
        .createTable('providers')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('base_url', 'text', (c) => c.notNull())
        .addColumn('api_key_sealed', 'text')
        .addColumn('api_key_last4', 'text')
        .addColumn('default_model', 'text')
        .addColumn('timeout_ms', t.bigint, (c) => c.notNull())
        .addColumn('max_retries', t.bigint, (c) => c.notNull())
        .addColumn('created_at', t.bigint, (c) => c.notNull())
        .addColumn('updated_at', t.bigint, (c) => c.notNull())
        .execute();
    },
    async down(db) {
      await db.schema.dropTable('providers').execute();
    },
  },
  {
    // Many models cap their output far below a turn's token budget and refuse a larger max_tokens.
    name: '1041_providers_max_output_tokens',
    async up(db, dialect) {
      await db.schema.alterTable('providers').addColumn('max_output_tokens', columnTypes(dialect).bigint).execute();
    },
    async down(db) {
      await db.schema.alterTable('providers').dropColumn('max_output_tokens').execute();
    },
  },
  {
    // A LAN Ollama, llama.cpp or LM Studio over plain http, only when the operator says the network is trusted.
    name: '1045_providers_trusted_local_network',
    async up(db) {
      await db.schema
        .alterTable('providers')
        .addColumn('trusted_local_network', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
    },
    async down(db) {
      await db.schema.alterTable('providers').dropColumn('trusted_local_network').execute();
    },
  },
];

/** Where sealed provider keys live, for the vault's key rotation. */
export const PROVIDER_KEY_COLUMN = { table: 'providers', column: 'api_key_sealed', idColumn: 'id' } as const;
