import { sql } from 'kysely';
import { columnTypes, type Migration } from '../storage/index.js';

export type CompanionTables = {
  familiars: {
    id: string;
    slug: string;
    name: string;
    persona: string;
    provider_id: string | null;
    model: string;
    temperature: number | null;
    /** Most output tokens per model call; null: the provider's limit or HEARTH_TURN_MAX_OUTPUT_TOKENS. */
    memory_extraction: 'off' | 'on' | 'ask';
    max_output_tokens: number | null;
    /** JSON array of tool names. */
    allowed_tools: string;
    injection_policy: 'log' | 'neutralize' | 'refuse';
    greeting: string | null;
    /** JSON array of user ids allowed to chat; null = every member. */
    allowed_users: string | null;
    /** SillyTavern-style example dialogue (mes_example); handed to the model as data. */
    example_dialogue?: string | null;
    /** JSON array of lorebook entries ({ keys, content, enabled }); null = none. */
    lorebook?: string | null;
    /** JSON of the sampling settings beyond temperature ({ topP, frequencyPenalty, presencePenalty, stop }); null = none. */
    sampling?: string | null;
    /** SHA-256 (hex, first 16) of the stored avatar image; null = initials. */
    avatar_hash?: string | null;
    created_at: number;
    updated_at: number;
  };
  /** Familiars' avatar images, checked and stripped of metadata (one row per familiar). */
  familiar_avatars: {
    familiar_id: string;
    mime: string;
    bytes: Uint8Array;
    updated_at: number;
  };
  conversations: {
    id: string;
    user_id: string;
    familiar_id: string;
    channel: string;
    conversation_key: string | null;
    title: string | null;
    created_at: number;
    updated_at: number;
  };
  messages: {
    id: string;
    conversation_id: string;
    user_id: string;
    role: 'user' | 'assistant';
    content: string;
    /** complete | refused | failed | stopped */
    status: string;
    screen_score: number | null;
    created_at: number;
    /** JSON of a reply's model, tokens and latency (MessageMeta); null for the person's messages. */
    meta: string | null;
  };
};

export const companionMigrations: Migration[] = [
  {
    name: '0300_1_familiars',
    async up(db, dialect) {
      const t = columnTypes(dialect);
      await db.schema
        .createTable('familiars')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('slug', 'text', (c) => c.notNull().unique())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('persona', 'text', (c) => c.notNull())
        .addColumn('provider_id', 'text')
        .addColumn('model', 'text', (c) => c.notNull())
        .addColumn('temperature', 'real')
        .addColumn('allowed_tools', 'text', (c) => c.notNull())
        .addColumn('injection_policy', 'text', (c) => c.notNull())
        .addColumn('greeting', 'text')
        .addColumn('allowed_users', 'text')
        .addColumn('created_at', t.bigint, (c) => c.notNull())
        .addColumn('updated_at', t.bigint, (c) => c.notNull())
        .execute();
    },
    async down(db) {
      await db.schema.dropTable('familiars').execute();
    },
  },
  {
    name: '0300_3_conversations',
    async up(db, dialect) {
      const t = columnTypes(dialect);
      await db.schema
        .createTable('conversations')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('familiar_id', 'text', (c) => c.notNull())
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('conversation_key', 'text')
        .addColumn('title', 'text')
        .addColumn('created_at', t.bigint, (c) => c.notNull())
        .addColumn('updated_at', t.bigint, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('conversations_user').on('conversations').columns(['user_id', 'updated_at']).execute();
      await db.schema
        .createIndex('conversations_key')
        .unique()
        .on('conversations')
        .columns(['user_id', 'familiar_id', 'conversation_key'])
        .execute();
      await db.schema
        .createTable('messages')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('conversation_id', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('content', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('screen_score', 'real')
        .addColumn('created_at', t.bigint, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('messages_conversation').on('messages').columns(['conversation_id', 'id']).execute();
      await db.schema.createIndex('messages_user').on('messages').column('user_id').execute();
    },
    async down(db) {
      await db.schema.dropTable('messages').execute();
      await db.schema.dropTable('conversations').execute();
    },
  },
  {
    // A new message moves its conversation up the list in the same statement, so storing a
    // message is one insert, not a transaction of two statements (the turn stores two).
    name: '0800_messages_touch_conversation',
    async up(db, dialect) {
      if (dialect === 'sqlite') {
        await sql`CREATE TRIGGER messages_touch_conversation AFTER INSERT ON messages
          BEGIN UPDATE conversations SET updated_at = NEW.created_at WHERE id = NEW.conversation_id; END`.execute(db);
        return;
      }
      await sql`CREATE FUNCTION messages_touch_conversation() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN UPDATE conversations SET updated_at = NEW.created_at WHERE id = NEW.conversation_id; RETURN NEW; END $$`.execute(db);
      await sql`CREATE TRIGGER messages_touch_conversation AFTER INSERT ON messages
          FOR EACH ROW EXECUTE FUNCTION messages_touch_conversation()`.execute(db);
    },
    async down(db, dialect) {
      await sql`DROP TRIGGER IF EXISTS messages_touch_conversation${dialect === 'postgres' ? sql` ON messages` : sql``}`.execute(db);
      if (dialect === 'postgres') await sql`DROP FUNCTION IF EXISTS messages_touch_conversation()`.execute(db);
    },
  },
  {
    // What the web chat shows on demand for a reply: its model, tokens and latency.
    name: '1020_messages_meta',
    async up(db) {
      await db.schema.alterTable('messages').addColumn('meta', 'text').execute();
    },
    async down(db) {
      await db.schema.alterTable('messages').dropColumn('meta').execute();
    },
  },
  {
    // A familiar's model may cap its output far below the turn's token budget (and refuse a larger max_tokens).
    name: '1040_familiars_max_output_tokens',
    async up(db, dialect) {
      await db.schema.alterTable('familiars').addColumn('max_output_tokens', columnTypes(dialect).bigint).execute();
    },
    async down(db) {
      await db.schema.alterTable('familiars').dropColumn('max_output_tokens').execute();
    },
  },
  {
    // Automatic memory per familiar (MEM-2); off for familiars made before it existed.
    name: '1050_familiars_memory_extraction',
    async up(db) {
      await db.schema
        .alterTable('familiars')
        .addColumn('memory_extraction', 'text', (c) => c.notNull().defaultTo('off'))
        .execute();
    },
    async down(db) {
      await db.schema.alterTable('familiars').dropColumn('memory_extraction').execute();
    },
  },
  {
    // Issue #20: example dialogue, lorebook entries and an avatar per familiar.
    name: '1250_familiars_examples_lorebook_avatar',
    async up(db, dialect) {
      for (const column of ['example_dialogue', 'lorebook', 'avatar_hash'])
        await db.schema.alterTable('familiars').addColumn(column, 'text').execute();
      const t = columnTypes(dialect);
      await db.schema
        .createTable('familiar_avatars')
        .addColumn('familiar_id', 'text', (c) => c.primaryKey())
        .addColumn('mime', 'text', (c) => c.notNull())
        .addColumn('bytes', t.blob, (c) => c.notNull())
        .addColumn('updated_at', t.bigint, (c) => c.notNull())
        .execute();
    },
    async down(db) {
      await db.schema.dropTable('familiar_avatars').execute();
      for (const column of ['avatar_hash', 'lorebook', 'example_dialogue'])
        await db.schema.alterTable('familiars').dropColumn(column).execute();
    },
  },
  {
    // Issue #20: sampling settings beyond the temperature.
    name: '1251_familiars_sampling',
    async up(db) {
      await db.schema.alterTable('familiars').addColumn('sampling', 'text').execute();
    },
    async down(db) {
      await db.schema.alterTable('familiars').dropColumn('sampling').execute();
    },
  },
];
