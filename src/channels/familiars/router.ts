import type { Familiar } from '../../companions/index.js';
import type { FamiliarData } from '../../core/index.js';
import type { AuditActor, AuditLog } from '../../security/audit/index.js';
import type { FamiliarRouteDb } from './tables.js';
import { createTwitchChannels, type TwitchChannels } from './twitch-channels.js';

/** The chat platforms whose places can be routed to a familiar. */
export const ROUTED_CHANNELS = ['telegram', 'discord', 'twitch'] as const;
type RoutedChannel = (typeof ROUTED_CHANNELS)[number];

/** Kinds of place a route may name (`kind:id`), besides `default`. */
const PLACE_KINDS = ['chat', 'guild', 'channel', 'dm', 'role', 'prefix', 'broadcaster'] as const;
/** A route as the environment writes it: `channel[:kind:id]=familiar` (HEARTH_CHANNEL_FAMILIARS). */
const ENV_ROUTE = /^(telegram|discord|twitch)(?::(chat|guild|channel|dm|role|prefix|broadcaster):([^=\s:,]{1,100}))?=([^=\s,]{1,200})$/;
/** A place: `default` or `kind:id` (ids: platform ids, or a Twitch `!prefix`). */
export const PLACE = /^(default|(chat|guild|channel|dm|role|prefix|broadcaster):[^\s:,=]{1,100})$/;

/** What a channel shows of a familiar. */
interface FamiliarChoice {
  readonly id: string;
  readonly slug: string;
  readonly name: string;
}

interface FamiliarRoute {
  readonly channel: RoutedChannel;
  readonly place: string;
  readonly familiarId: string;
  /** `stored` (the dashboard, `/familiar`) wins over `env` for the same place. */
  readonly source: 'stored' | 'env';
}

/** Which familiar answers where (issue #22); every adapter asks it, most specific place first. */
export interface FamiliarRouter {
  /**
   * The familiar for the first of `places` (most specific first) that has a route to a familiar that
   * still exists and the person may use, else the channel's `default` route, else the fallback
   * (HEARTH_CHANNEL_FAMILIAR, or the first familiar).
   */
  resolve(channel: RoutedChannel, places: readonly string[], userId?: string): Promise<string>;
  /** A familiar by slug, id or name (case-insensitive) that this person may use; `/familiar NAME`. */
  find(name: string, userId?: string): Promise<FamiliarChoice | undefined>;
  /** The familiar named at the start of `text` ("Luna, …", "luna: …", "Luna hi"), and the rest of the text. */
  named(text: string, userId?: string): Promise<{ readonly familiar: FamiliarChoice; readonly rest: string } | undefined>;
  /** The routes of one kind of place on a channel (Twitch prefixes, Discord roles), stored over env. */
  routesOf(channel: RoutedChannel, kind: (typeof PLACE_KINDS)[number]): Promise<FamiliarRoute[]>;
  /** Every route, stored and from the environment. */
  list(): Promise<FamiliarRoute[]>;
  /** Sets (or with null removes) the stored route of a place; audited as `channel.familiar.set`. */
  set(channel: RoutedChannel, place: string, familiarId: string | null, actor: AuditActor): Promise<void>;
  /** Familiars the person may pick (all of them without a person), for `/familiar` and the dashboard. */
  familiars(userId?: string): Promise<FamiliarChoice[]>;
  describe(id: string): Promise<FamiliarChoice | undefined>;
  /** The Twitch channels the bot joins, each with its familiar and prefix (HEARTH_TWITCH_CHANNELS, the dashboard). */
  readonly twitch: TwitchChannels;
}

export interface FamiliarRouterOptions {
  readonly db: FamiliarRouteDb;
  readonly familiars: {
    list(): Promise<readonly Familiar[]>;
    get(id: string): Promise<Familiar | undefined>;
    canUse(familiar: Familiar, user: { userId: string }): boolean;
  };
  /** HEARTH_CHANNEL_FAMILIARS entries (`channel[:kind:id]=familiar`, familiar by slug or id). */
  readonly env: readonly string[];
  /** HEARTH_TWITCH_CHANNELS entries (`broadcasterId:familiar:!prefix`); absent = none. */
  readonly twitchEnv?: readonly string[];
  /** The familiar when no route matches (HEARTH_CHANNEL_FAMILIAR, else the first). */
  readonly fallback: () => Promise<string>;
  readonly audit: AuditLog;
  readonly now: () => number;
}

const choice = (f: Familiar): FamiliarChoice => ({ id: f.id, slug: f.slug, name: f.name });
const fold = (s: string) => s.normalize('NFKC').toLowerCase();

/** Builds the router over its table and the familiar service. */
export function createFamiliarRouter(options: FamiliarRouterOptions): FamiliarRouter {
  const { db, familiars } = options;
  const envRoutes = options.env.flatMap((entry) => {
    const m = ENV_ROUTE.exec(entry.trim());
    if (!m) return [];
    return [{ channel: m[1] as RoutedChannel, place: m[2] ? `${m[2]}:${m[3]}` : 'default', familiar: m[4]! }];
  });
  /** A familiar by id or slug, as routes name them. */
  const byRef = (all: readonly Familiar[], ref: string) => all.find((f) => f.id === ref) ?? all.find((f) => fold(f.slug) === fold(ref));
  const usable = (f: Familiar | undefined, userId: string | undefined) => f && (userId === undefined || familiars.canUse(f, { userId }));

  const routesFor = async (channel: RoutedChannel, places: readonly string[]) => {
    const rows = places.length
      ? await db
          .selectFrom('channel_familiar_routes')
          .select(['place', 'familiar_id'])
          .where('channel', '=', channel)
          .where('place', 'in', [...places])
          .execute()
      : [];
    return rows;
  };

  const list = async (): Promise<FamiliarRoute[]> => {
    const all = await familiars.list();
    const rows = await db.selectFrom('channel_familiar_routes').selectAll().orderBy('channel').orderBy('place').execute();
    const stored: FamiliarRoute[] = rows.map((r) => ({
      channel: r.channel as RoutedChannel,
      place: r.place,
      familiarId: r.familiar_id,
      source: 'stored',
    }));
    const env: FamiliarRoute[] = envRoutes.flatMap((r) => {
      const f = byRef(all, r.familiar);
      return f ? [{ channel: r.channel, place: r.place, familiarId: f.id, source: 'env' as const }] : [];
    });
    return [...stored, ...env.filter((e) => !stored.some((s) => s.channel === e.channel && s.place === e.place))];
  };

  const router: FamiliarRouter = {
    async resolve(channel, places, userId) {
      const wanted = [...places, 'default'];
      const [rows, all] = await Promise.all([routesFor(channel, wanted), familiars.list()]);
      for (const place of wanted) {
        const stored = rows.find((r) => r.place === place);
        const fromStore = stored ? all.find((f) => f.id === stored.familiar_id) : undefined;
        if (usable(fromStore, userId)) return fromStore!.id;
        const env = envRoutes.find((r) => r.channel === channel && r.place === place);
        const fromEnv = env ? byRef(all, env.familiar) : undefined;
        if (usable(fromEnv, userId)) return fromEnv!.id;
      }
      return options.fallback();
    },
    async find(name, userId) {
      const all = await familiars.list();
      const wanted = fold(name.trim());
      const f =
        all.find((x) => x.id === name.trim()) ?? all.find((x) => fold(x.slug) === wanted) ?? all.find((x) => fold(x.name) === wanted);
      return usable(f, userId) ? choice(f!) : undefined;
    },
    async named(text, userId) {
      const folded = fold(text);
      // longest name first, so "Luna Prime" wins over "Luna"
      const all = [...(await familiars.list())].filter((f) => usable(f, userId));
      const names = all.flatMap((f) => [f.name, f.slug].map((n) => ({ f, n: fold(n) }))).sort((a, b) => b.n.length - a.n.length);
      for (const { f, n } of names) {
        if (!n || !folded.startsWith(n)) continue;
        const after = text.slice(n.length);
        if (after !== '' && !/^[\s,:;!?.]/.test(after)) continue; // "Lunatic" does not name "Luna"
        return { familiar: choice(f), rest: after.replace(/^[\s,:;!?.]+/, '').trim() };
      }
      return undefined;
    },
    async routesOf(channel, kind) {
      return (await list()).filter((r) => r.channel === channel && r.place.startsWith(`${kind}:`));
    },
    list,
    async set(channel, place, familiarId, actor) {
      await db.transaction().execute(async (tx) => {
        await tx.deleteFrom('channel_familiar_routes').where('channel', '=', channel).where('place', '=', place).execute();
        if (familiarId !== null)
          await tx
            .insertInto('channel_familiar_routes')
            .values({ channel, place, familiar_id: familiarId, updated_at: options.now() })
            .execute();
      });
      await options.audit.record({
        actor,
        action: 'channel.familiar.set',
        target: `${channel}:${place}`,
        outcome: 'success',
        details: { channel, place, familiarId },
      });
    },
    async familiars(userId) {
      return (await familiars.list()).filter((f) => usable(f, userId)).map(choice);
    },
    async describe(id) {
      const f = await familiars.get(id);
      return f ? choice(f) : undefined;
    },
    twitch: createTwitchChannels({ db, familiars, env: options.twitchEnv ?? [], audit: options.audit, now: options.now }),
  };
  return router;
}

/** With `data=delete` a familiar's routes go with it (bookkeeping: not counted as data it holds); kept, they are skipped. */
export function familiarRouteData(db: FamiliarRouteDb): FamiliarData {
  return {
    part: 'channel_familiar_routes',
    count: async () => ({}),
    async erase(familiarId) {
      const r = await db.deleteFrom('channel_familiar_routes').where('familiar_id', '=', familiarId).executeTakeFirst();
      const joined = await db.deleteFrom('twitch_channels').where('familiar_id', '=', familiarId).executeTakeFirst();
      const removed = Number(r.numDeletedRows) + Number(joined.numDeletedRows);
      // Only when there were any, as the other parts report: routes are settings, not data held of anyone.
      const counts: Record<string, number> = {};
      if (removed > 0) counts.channelFamiliarRoutes = removed;
      return counts;
    },
  };
}
