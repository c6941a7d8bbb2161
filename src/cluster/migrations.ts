import { sql } from 'kysely';
import { columnTypes, type Migration } from '../storage/index.js';

/** Lease fencing tokens and the small state a lease holder keeps for its successor (#19). */
export type ClusterTables = {
  cluster_leases: { name: string; token: number; holder: string; acquired_at: number };
  cluster_state: { scope: string; key: string; value: string; updated_at: number };
  cluster_outbox: { id: string; lease: string; payload: string; created_at: number };
};

/** Tables whose row changes invalidate caches on every replica, and the invalidator scope each names. */
const INVALIDATING_TABLES: Readonly<Record<string, string>> = {
  settings: 'settings',
  channel_settings: 'channels',
  providers: 'providers',
  familiars: 'familiars',
};

/** The LISTEN/NOTIFY channel of one schema (identifiers are at most 63 bytes). */
export const busChannel = (schema: string): string => `hearth_${schema}`.slice(0, 63);

export const clusterMigrations: Migration[] = [
  {
    name: '1220_cluster_leases',
    async up(db, dialect) {
      const t = columnTypes(dialect);
      await db.schema
        .createTable('cluster_leases')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('token', t.bigint, (c) => c.notNull())
        .addColumn('holder', 'text', (c) => c.notNull())
        .addColumn('acquired_at', t.bigint, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('cluster_state')
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('updated_at', t.bigint, (c) => c.notNull())
        .addPrimaryKeyConstraint('cluster_state_pk', ['scope', 'key'])
        .execute();
    },
    async down(db) {
      await db.schema.dropTable('cluster_state').execute();
      await db.schema.dropTable('cluster_leases').execute();
    },
  },
  {
    // PostgreSQL: any change to a cached table, from any replica or a psql session, tells every
    // replica (one NOTIFY per statement on the schema's bus channel). SQLite is one process.
    name: '1221_cluster_invalidation',
    async up(db, dialect) {
      if (dialect !== 'postgres') return;
      await sql`
        CREATE OR REPLACE FUNCTION hearth_invalidate() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          PERFORM pg_notify(left('hearth_' || TG_TABLE_SCHEMA, 63),
            json_build_object('topic', 'invalidate', 'from', 'database', 'data', json_build_object('scope', TG_ARGV[0]))::text);
          RETURN NULL;
        END $$`.execute(db);
      for (const [table, scope] of Object.entries(INVALIDATING_TABLES)) {
        const exists = await sql<{
          t: string | null;
        }>`SELECT to_regclass(quote_ident(current_schema()) || '.' || ${table})::text AS t`.execute(db);
        if (!exists.rows[0]?.t) continue; // a plugin list without that concern
        await sql
          .raw(
            `CREATE TRIGGER ${table}_invalidate AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION hearth_invalidate('${scope}')`,
          )
          .execute(db);
      }
    },
    async down(db, dialect) {
      if (dialect !== 'postgres') return;
      for (const table of Object.keys(INVALIDATING_TABLES))
        await sql.raw(`DROP TRIGGER IF EXISTS ${table}_invalidate ON ${table}`).execute(db);
      await sql`DROP FUNCTION IF EXISTS hearth_invalidate()`.execute(db);
    },
  },
  {
    // Messages for whichever replica holds a lease (a bot's owner), kept until it takes them.
    name: '1222_cluster_outbox',
    async up(db, dialect) {
      const t = columnTypes(dialect);
      await db.schema
        .createTable('cluster_outbox')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('lease', 'text', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('created_at', t.bigint, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('cluster_outbox_lease').on('cluster_outbox').columns(['lease', 'created_at']).execute();
    },
    async down(db) {
      await db.schema.dropTable('cluster_outbox').execute();
    },
  },
  {
    // A vector rewritten in place (same seq) is invisible to the other replicas' stamp check, so an
    // UPDATE of a row tells them (row-level: an INSERT … ON CONFLICT that inserts fires nothing).
    name: '1223_cluster_vector_invalidation',
    async up(db, dialect) {
      if (dialect !== 'postgres') return;
      const exists = await sql<{
        t: string | null;
      }>`SELECT to_regclass(quote_ident(current_schema()) || '.memory_vectors')::text AS t`.execute(db);
      if (!exists.rows[0]?.t) return;
      await sql`CREATE TRIGGER memory_vectors_invalidate AFTER UPDATE ON memory_vectors FOR EACH ROW EXECUTE FUNCTION hearth_invalidate('vectors')`.execute(
        db,
      );
    },
    async down(db, dialect) {
      if (dialect !== 'postgres') return;
      await sql`DROP TRIGGER IF EXISTS memory_vectors_invalidate ON memory_vectors`.execute(db);
    },
  },
];
