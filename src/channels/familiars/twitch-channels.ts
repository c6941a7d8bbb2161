import type { Familiar } from '../../companions/index.js';
import type { AuditActor, AuditLog } from '../../security/audit/index.js';
import type { FamiliarRouteDb } from './tables.js';

/** A Twitch channel's own command: `!` and 1–30 letters, digits or `_` (compared case-insensitively). */
export const TWITCH_PREFIX = /^![a-z0-9_]{1,30}$/i;
/** A Twitch broadcaster (channel) id: digits. */
export const TWITCH_BROADCASTER = /^\d{1,20}$/;
/** `broadcasterId:familiar:!prefix`, one entry of HEARTH_TWITCH_CHANNELS (familiar by slug or id). */
const ENV_ENTRY = /^(\d{1,20}):([^:\s,]{1,200}):(![A-Za-z0-9_]{1,30})$/;

/** A Twitch channel the bot joins, answered by one familiar when a message starts with its prefix (issue #22). */
export interface TwitchChannelRoute {
  readonly broadcasterId: string;
  readonly familiarId: string;
  /** Lower-case, with the `!`. */
  readonly prefix: string;
  /** `stored` (the dashboard) wins over `env` for the same channel. */
  readonly source: 'stored' | 'env';
}

export interface TwitchChannelsOptions {
  readonly db: FamiliarRouteDb;
  readonly familiars: { list(): Promise<readonly Familiar[]> };
  /** HEARTH_TWITCH_CHANNELS entries. */
  readonly env: readonly string[];
  readonly audit: AuditLog;
  readonly now: () => number;
}

export interface TwitchChannels {
  /** Every joined channel whose familiar still exists, stored over env. */
  list(): Promise<TwitchChannelRoute[]>;
  /** Joins (or with null leaves) a channel; audited as `channel.twitch.channel`. */
  set(broadcasterId: string, to: { familiarId: string; prefix: string } | null, actor: AuditActor): Promise<void>;
  /** Called after every local change, so a running adapter joins or leaves at once (others re-read on a timer). */
  onChange(listener: () => void): () => void;
}

const fold = (s: string) => s.normalize('NFKC').toLowerCase();

/** The Twitch channels the bot joins (table `twitch_channels`, migration 1310, and HEARTH_TWITCH_CHANNELS). */
export function createTwitchChannels(options: TwitchChannelsOptions): TwitchChannels {
  const { db, familiars } = options;
  const listeners = new Set<() => void>();
  const envEntries = options.env.flatMap((entry) => {
    const m = ENV_ENTRY.exec(entry.trim());
    return m ? [{ broadcasterId: m[1]!, familiar: m[2]!, prefix: m[3]!.toLowerCase() }] : [];
  });
  return {
    async list() {
      const all = await familiars.list();
      const rows = await db.selectFrom('twitch_channels').selectAll().orderBy('broadcaster_id').execute();
      const stored: TwitchChannelRoute[] = rows
        .filter((r) => all.some((f) => f.id === r.familiar_id))
        .map((r) => ({ broadcasterId: r.broadcaster_id, familiarId: r.familiar_id, prefix: r.prefix, source: 'stored' }));
      const env: TwitchChannelRoute[] = envEntries.flatMap((e) => {
        const f = all.find((x) => x.id === e.familiar) ?? all.find((x) => fold(x.slug) === fold(e.familiar));
        if (!f || rows.some((r) => r.broadcaster_id === e.broadcasterId)) return [];
        return [{ broadcasterId: e.broadcasterId, familiarId: f.id, prefix: e.prefix, source: 'env' as const }];
      });
      return [...stored, ...env];
    },
    async set(broadcasterId, to, actor) {
      await db.transaction().execute(async (tx) => {
        await tx.deleteFrom('twitch_channels').where('broadcaster_id', '=', broadcasterId).execute();
        if (to)
          await tx
            .insertInto('twitch_channels')
            .values({
              broadcaster_id: broadcasterId,
              familiar_id: to.familiarId,
              prefix: to.prefix.toLowerCase(),
              updated_at: options.now(),
            })
            .execute();
      });
      await options.audit.record({
        actor,
        action: 'channel.twitch.channel',
        target: `twitch:${broadcasterId}`,
        outcome: 'success',
        details: { broadcasterId, familiarId: to?.familiarId ?? null, prefix: to?.prefix.toLowerCase() ?? null },
      });
      for (const l of listeners) l();
    },
    onChange(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
  };
}
