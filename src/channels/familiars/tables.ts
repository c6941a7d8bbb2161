import type { Kysely } from 'kysely';
import type { CoreTables } from '../../storage/index.js';

/** Which familiar answers where on a chat channel (migration 1240, issue #22). Timestamps in ms. */
export type FamiliarRouteTables = {
  channel_familiar_routes: {
    /** telegram, discord or twitch. */
    channel: string;
    /** `default`, or a place on the platform: `chat:ID`, `guild:ID`, `channel:ID`, `dm:ID`, `role:ID`, `prefix:!word`. */
    place: string;
    familiar_id: string;
    updated_at: number;
  };
  /** Twitch channels the bot joins, each answered by one familiar on its own prefix (migration 1310). */
  twitch_channels: {
    broadcaster_id: string;
    familiar_id: string;
    /** Lower-case, with the `!`. */
    prefix: string;
    updated_at: number;
  };
};

export type FamiliarRouteDb = Kysely<CoreTables & FamiliarRouteTables>;
