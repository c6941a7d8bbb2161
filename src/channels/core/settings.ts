import type { Vault } from '../../security/vault/index.js';
import type { ChannelDb } from './tables.js';

/** Stored, owner-editable settings of one channel (the environment supplies the rest). */
export interface StoredChannelSettings {
  /** Extra allowlisted ids (Telegram users, Discord guilds/users, Twitch viewers). */
  readonly allowedIds: readonly string[];
  /** Discord guild allowlist. */
  readonly guildIds: readonly string[];
  /** null = use the environment's default. */
  readonly pairing: boolean | null;
}

export const EMPTY_SETTINGS: StoredChannelSettings = { allowedIds: [], guildIds: [], pairing: null };
export const TOKEN_COLUMN = { table: 'channel_settings', column: 'token_sealed', idColumn: 'channel' } as const;

export interface ChannelSettingsStore {
  get(channel: string): Promise<StoredChannelSettings>;
  put(channel: string, settings: StoredChannelSettings): Promise<void>;
  /** The bot token, opened from the vault (DATA-1); undefined when none is stored. */
  token(channel: string): Promise<string | undefined>;
  setToken(channel: string, token: string | null): Promise<void>;
}

/** Builds the settings store; tokens are sealed with the channel as associated data. */
export function createChannelSettings(options: { db: ChannelDb; vault: Vault; now: () => number }): ChannelSettingsStore {
  const { db, vault, now } = options;
  const location = (channel: string) => ({ table: TOKEN_COLUMN.table, column: TOKEN_COLUMN.column, id: channel });
  const row = (channel: string) => db.selectFrom('channel_settings').selectAll().where('channel', '=', channel).executeTakeFirst();
  const upsert = async (channel: string, patch: { settings?: string; token_sealed?: string | null }) => {
    await db.transaction().execute(async (tx) => {
      const current = await tx.selectFrom('channel_settings').selectAll().where('channel', '=', channel).executeTakeFirst();
      if (current)
        await tx
          .updateTable('channel_settings')
          .set({ ...patch, updated_at: now() })
          .where('channel', '=', channel)
          .execute();
      else
        await tx
          .insertInto('channel_settings')
          .values({ channel, token_sealed: null, settings: JSON.stringify(EMPTY_SETTINGS), ...patch, updated_at: now() })
          .execute();
    });
  };
  return {
    async get(channel) {
      const r = await row(channel);
      return r ? { ...EMPTY_SETTINGS, ...(JSON.parse(r.settings) as Partial<StoredChannelSettings>) } : EMPTY_SETTINGS;
    },
    put: (channel, settings) => upsert(channel, { settings: JSON.stringify(settings) }),
    async token(channel) {
      const r = await row(channel);
      return r?.token_sealed ? vault.open(location(channel), r.token_sealed) : undefined;
    },
    setToken: (channel, token) => upsert(channel, { token_sealed: token === null ? null : vault.seal(location(channel), token) }),
  };
}
