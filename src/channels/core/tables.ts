import type { Kysely } from 'kysely';
import type { CoreTables } from '../../storage/index.js';

/** Tables owned by the channels concern (migration 0500_channels). Timestamps in ms. */
export type ChannelTables = {
  /** Channel identities linked to Hearth people (CH-2): one person may have many. */
  channel_identities: {
    channel: string;
    external_id: string;
    user_id: string;
    display_name: string | null;
    created_at: number;
  };
  /** Pairing requests from strangers; the code identifies the request and grants nothing by itself. */
  channel_pairings: {
    id: string;
    channel: string;
    external_id: string;
    display_name: string | null;
    code: string;
    status: 'pending' | 'approved' | 'denied';
    created_at: number;
    expires_at: number;
    decided_at: number | null;
    decided_by: string | null;
    user_id: string | null;
  };
  /** One-time link codes (migration 1050): the consent of one side to link a channel identity to a person. */
  channel_link_codes: {
    code_hash: string;
    kind: 'web' | 'channel';
    /** The person who asked on the web (`web` codes). */
    user_id: string | null;
    /** The channel identity that asked (`channel` codes). */
    channel: string | null;
    external_id: string | null;
    display_name: string | null;
    created_at: number;
    expires_at: number;
    used_at: number | null;
  };
  /** Per-channel settings; the bot token is sealed with the vault (DATA-1). */
  channel_settings: {
    channel: string;
    token_sealed: string | null;
    settings: string;
    updated_at: number;
  };
};

/** The database as channel repositories see it (`storage.db.withTables<ChannelTables>()`). */
export type ChannelDb = Kysely<CoreTables & ChannelTables>;
