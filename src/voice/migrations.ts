import { columnTypes, type Migration } from '../storage/index.js';

export type VoiceTables = {
  speech_providers: {
    id: string;
    name: string;
    /** stt (speech to text) or tts (text to speech). */
    kind: string;
    base_url: string;
    /** Vault-sealed API key (DATA-1); null for keyless local servers. */
    api_key_sealed: string | null;
    api_key_last4: string | null;
    model: string;
    /** The wire protocol: openai (OpenAI-compatible audio endpoints), deepgram (STT) or cartesia (TTS). */
    api: string;
    /** The TTS voice name (`alloy`…), or Cartesia's voice id; null for STT. */
    voice: string | null;
    timeout_ms: number;
    /** 1: used instead of the offline default for its kind (at most one per kind). */
    active: number;
    created_at: number;
    updated_at: number;
  };
  /** Spoken replies behind their short-lived URL (clips.ts): any replica serves them. */
  voice_clips: {
    /** sha256 of the URL's random id (base64url): the table alone gives no working URL. */
    id_hash: string;
    /** The only person it is served to. */
    user_id: string;
    content_type: string;
    audio: Buffer;
    created_at: number;
    expires_at: number;
  };
};

export const voiceMigrations: Migration[] = [
  {
    name: '1200_speech_providers',
    async up(db, dialect) {
      const t = columnTypes(dialect);
      await db.schema
        .createTable('speech_providers')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('base_url', 'text', (c) => c.notNull())
        .addColumn('api_key_sealed', 'text')
        .addColumn('api_key_last4', 'text')
        .addColumn('model', 'text', (c) => c.notNull())
        .addColumn('voice', 'text')
        .addColumn('timeout_ms', t.bigint, (c) => c.notNull())
        .addColumn('active', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', t.bigint, (c) => c.notNull())
        .addColumn('updated_at', t.bigint, (c) => c.notNull())
        .execute();
    },
    async down(db) {
      await db.schema.dropTable('speech_providers').execute();
    },
  },
  {
    // Deepgram (streaming STT over WebSocket) and Cartesia (TTS) beside the OpenAI-compatible endpoints.
    name: '1260_speech_provider_api',
    async up(db) {
      await db.schema
        .alterTable('speech_providers')
        .addColumn('api', 'text', (c) => c.notNull().defaultTo('openai'))
        .execute();
    },
    async down(db) {
      await db.schema.alterTable('speech_providers').dropColumn('api').execute();
    },
  },
  {
    // Spoken replies' URLs served by every replica, not only the one that spoke them.
    name: '1290_voice_clips',
    async up(db, dialect) {
      const t = columnTypes(dialect);
      await db.schema
        .createTable('voice_clips')
        .addColumn('id_hash', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('content_type', 'text', (c) => c.notNull())
        .addColumn('audio', t.blob, (c) => c.notNull())
        .addColumn('created_at', t.bigint, (c) => c.notNull())
        .addColumn('expires_at', t.bigint, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('voice_clips_user').on('voice_clips').columns(['user_id', 'created_at']).execute();
      await db.schema.createIndex('voice_clips_expiry').on('voice_clips').column('expires_at').execute();
    },
    async down(db) {
      await db.schema.dropTable('voice_clips').execute();
    },
  },
];

/** Where sealed speech-provider keys live, for the vault's key rotation. */
export const SPEECH_KEY_COLUMN = { table: 'speech_providers', column: 'api_key_sealed', idColumn: 'id' } as const;
