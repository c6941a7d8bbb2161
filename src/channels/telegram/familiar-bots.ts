import type { Kysely } from 'kysely';
import type { ChannelName } from '../../companions/index.js';
import { defineErrorCodes, type FamiliarData } from '../../core/index.js';
import type { Logger } from '../../logging/index.js';
import type { AuditActor, AuditLog } from '../../security/audit/index.js';
import type { Vault } from '../../security/vault/index.js';
import { columnTypes, type CoreTables, type Migration, type Storage } from '../../storage/index.js';
import type { ApprovalButtons } from '../approval-buttons.js';
import type { ChannelAdapter, ChannelHub, PersonCommands, SecretScrubber } from '../core/index.js';
import type { VoiceNotes } from '../entry.js';
import type { FamiliarRouter } from '../familiars/index.js';
import { createChannelOwnership, type ChannelCluster } from '../ownership.js';
import type { TelegramAdapter } from './adapter.js';

/** A bot token as @BotFather gives it: the bot's numeric id, a colon, the secret. */
const TELEGRAM_TOKEN = /^\d{1,20}:[A-Za-z0-9_-]{20,100}$/;
/** Bus topic: the familiar bots changed on some replica; every replica syncs. */
const CHANGED_TOPIC = 'channels.telegram-bots';

/** One bot per familiar, added on the dashboard (migration 1311); the token sealed with the familiar id as associated data. */
type FamiliarBotTables = {
  telegram_familiar_bots: {
    familiar_id: string;
    /** The bot's own Telegram user id (the token's public part): two familiars can never share a bot. */
    bot_id: string;
    username: string | null;
    token_sealed: string;
    created_at: number;
    updated_at: number;
  };
};

export const FAMILIAR_BOT_TOKEN_COLUMN = { table: 'telegram_familiar_bots', column: 'token_sealed', idColumn: 'familiar_id' } as const;

export const familiarBotMigrations: Migration[] = [
  {
    name: '1311_telegram_familiar_bots',
    async up(db, dialect) {
      const t = columnTypes(dialect);
      await db.schema
        .createTable('telegram_familiar_bots')
        .addColumn('familiar_id', 'text', (c) => c.primaryKey())
        .addColumn('bot_id', 'text', (c) => c.notNull().unique())
        .addColumn('username', 'text')
        .addColumn('token_sealed', 'text', (c) => c.notNull())
        .addColumn('created_at', t.bigint, (c) => c.notNull())
        .addColumn('updated_at', t.bigint, (c) => c.notNull())
        .execute();
    },
    async down(db) {
      await db.schema.dropTable('telegram_familiar_bots').execute();
    },
  },
];

/** Why a bot token is refused; `details.reason` names it (the token itself is never echoed). */
export const familiarBotErrors = defineErrorCodes({
  TELEGRAM_TOKEN_INVALID: 'VALIDATION_FAILED',
  TELEGRAM_TOKEN_REJECTED: 'UNPROCESSABLE',
  TELEGRAM_UNREACHABLE: 'BAD_GATEWAY',
  TELEGRAM_BOT_IN_USE: 'CONFLICT',
  FAMILIAR_NOT_FOUND: 'NOT_FOUND',
  BOT_NOT_FOUND: 'NOT_FOUND',
});

/** What the API shows of a familiar's bot: never the token. */
interface FamiliarBotView {
  readonly familiarId: string;
  readonly botId: string;
  readonly username: string | null;
  readonly running: boolean;
  readonly addedAt: string;
}

export interface FamiliarBots {
  list(): Promise<FamiliarBotView[]>;
  /** Checks the token with Telegram (getMe), seals and stores it, and starts the bot; replaces the familiar's previous bot. */
  add(familiarId: string, token: string, actor: AuditActor): Promise<FamiliarBotView>;
  /** Stops and forgets the familiar's bot; false when it had none. */
  remove(familiarId: string, actor: AuditActor): Promise<boolean>;
  /** Starts the stored bots not running yet and stops those removed (every replica, on the bus). */
  sync(): Promise<void>;
  /** The familiar bots running in this process (approval buttons offer through them). */
  adapters(): TelegramAdapter[];
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly familiarData: FamiliarData;
}

export interface FamiliarBotsOptions {
  readonly db: Storage['db'];
  readonly vault: Vault;
  readonly audit: AuditLog;
  readonly hub: ChannelHub;
  readonly logger: Logger;
  readonly scrubber: SecretScrubber;
  readonly now: () => number;
  readonly cluster?: ChannelCluster | undefined;
  readonly familiars?: FamiliarRouter | undefined;
  readonly approvals?: () => ApprovalButtons | undefined;
  readonly personCommands?: PersonCommands | undefined;
  readonly voice?: VoiceNotes | undefined;
  /** HEARTH_TELEGRAM_API_ROOT. */
  readonly apiRoot?: string | undefined;
  /** Bot ids already polled elsewhere (the main bot, HEARTH_TELEGRAM_FAMILIAR_BOTS): two pollers of one bot fight over updates. */
  readonly botIdsInUse: () => Promise<string[]>;
  /** Called after a bot started here (approval buttons begin offering). */
  readonly onStarted?: () => void;
}

const botIdOf = (token: string) => token.slice(0, token.indexOf(':'));

/**
 * Telegram bots added per familiar on the dashboard (issue #22). Each is its own adapter under its
 * own lease (`channel:telegram-bot:<botId>`, #19), with the main bot's admission, pairing, limits
 * and approval buttons, and starts or stops without a restart. Tokens are sealed in the vault
 * (registered for `hearth keys rotate`) and registered with the scrubber; the API never shows one.
 */
export function createFamiliarBots(options: FamiliarBotsOptions): FamiliarBots {
  const db: Kysely<CoreTables & FamiliarBotTables> = options.db.withTables<FamiliarBotTables>();
  const { vault, logger, scrubber } = options;
  const location = (familiarId: string) => ({
    table: FAMILIAR_BOT_TOKEN_COLUMN.table,
    column: FAMILIAR_BOT_TOKEN_COLUMN.column,
    id: familiarId,
  });
  /** The running bots by familiar: which bot id, the adapter (once started here), and how to stop its lease run. */
  const running = new Map<string, { botId: string; adapters: Map<ChannelName, ChannelAdapter>; stop: () => Promise<void> }>();
  let unsubscribe: (() => void) | undefined;
  let syncing: Promise<void> = Promise.resolve();

  const rows = () => db.selectFrom('telegram_familiar_bots').selectAll().orderBy('familiar_id').execute();
  const adapterOf = (familiarId: string) => [...(running.get(familiarId)?.adapters.values() ?? [])][0] as TelegramAdapter | undefined;
  const view = (r: { familiar_id: string; bot_id: string; username: string | null; created_at: number }): FamiliarBotView => ({
    familiarId: r.familiar_id,
    botId: r.bot_id,
    username: r.username,
    running: adapterOf(r.familiar_id) !== undefined,
    addedAt: new Date(Number(r.created_at)).toISOString(),
  });

  const launch = (familiarId: string, botId: string, token: string) => {
    scrubber.register(token);
    const adapters = new Map<ChannelName, ChannelAdapter>();
    // its own ownership, so this bot alone can be stopped; the lease is per bot (two replicas never poll one bot)
    const ownership = createChannelOwnership({
      cluster: options.cluster,
      adapters,
      logger,
      scrubber,
      onStarted: () => options.onStarted?.(),
    });
    const key = `telegram-bot:${botId}` as ChannelName;
    const started = ownership.run(key, async (state) => {
      const { createTelegramAdapter } = await import('./adapter.js');
      return createTelegramAdapter({
        token,
        hub: options.hub,
        logger,
        scrubber,
        familiarId,
        familiars: options.familiars,
        approvals: options.approvals?.(),
        personCommands: options.personCommands,
        voice: options.voice,
        state,
        ...(options.apiRoot ? { apiRoot: options.apiRoot } : {}),
      });
    });
    running.set(familiarId, {
      botId,
      adapters,
      async stop() {
        await started.catch(() => undefined);
        await ownership.stop();
        // without a cluster the adapter was started directly: stop it here (stopping twice is safe)
        for (const a of adapters.values())
          await a.stop().catch((err: unknown) => logger.warn({ err: scrubber.error(err) }, 'telegram bot stop failed'));
        adapters.clear();
      },
    });
  };

  const syncNow = async () => {
    const stored = await rows();
    for (const [familiarId, r] of running) {
      const row = stored.find((s) => s.familiar_id === familiarId);
      if (row && row.bot_id === r.botId) continue;
      running.delete(familiarId);
      await r.stop();
      logger.info({ channel: 'telegram', botId: r.botId }, 'telegram familiar bot stopped');
    }
    for (const row of stored) {
      if (running.has(row.familiar_id)) continue;
      // a familiar deleted (its data kept) has nobody to answer as: its bot stays off
      if (options.familiars && !(await options.familiars.describe(row.familiar_id))) continue;
      let token: string;
      try {
        token = vault.open(location(row.familiar_id), row.token_sealed);
      } catch (err) {
        logger.error(
          { channel: 'telegram', botId: row.bot_id, err: { name: (err as Error).name, code: (err as { code?: string }).code } },
          'telegram familiar bot token cannot be opened',
        );
        continue;
      }
      launch(row.familiar_id, row.bot_id, token);
    }
  };
  const sync = () => (syncing = syncing.then(syncNow, syncNow));
  const changed = async () => {
    await sync();
    await options.cluster?.bus.publish(CHANGED_TOPIC, {}).catch(() => undefined);
  };

  /** Asks Telegram who the token belongs to: a wrong token is refused here, not at the first message. */
  const identify = async (token: string): Promise<{ id: string; username: string | null }> => {
    const { Api, GrammyError } = await import('grammy');
    const api = new Api(token, { ...(options.apiRoot ? { apiRoot: options.apiRoot } : {}), timeoutSeconds: 10 });
    try {
      const me = await api.getMe();
      return { id: String(me.id), username: me.username ?? null };
    } catch (err) {
      if (err instanceof GrammyError && (err.error_code === 401 || err.error_code === 404))
        throw familiarBotErrors.create('TELEGRAM_TOKEN_REJECTED', 'Telegram did not accept this bot token', { field: 'token' });
      logger.warn({ channel: 'telegram', err: scrubber.error(err) }, 'telegram getMe failed');
      throw familiarBotErrors.create('TELEGRAM_UNREACHABLE', 'Telegram could not be reached to check the token; try again');
    }
  };

  return {
    async list() {
      return (await rows()).map(view);
    },
    async add(familiarId, token, actor) {
      if (!TELEGRAM_TOKEN.test(token))
        throw familiarBotErrors.create('TELEGRAM_TOKEN_INVALID', 'A bot token looks like 123456789:AA… (from @BotFather)', {
          field: 'token',
        });
      const familiar = options.familiars ? await options.familiars.find(familiarId) : { id: familiarId };
      if (!familiar) throw familiarBotErrors.create('FAMILIAR_NOT_FOUND', 'Familiar not found', { field: 'familiarId' });
      scrubber.register(token);
      const botId = botIdOf(token);
      const others = (await rows()).filter((r) => r.familiar_id !== familiar.id).map((r) => r.bot_id);
      if ([...others, ...(await options.botIdsInUse())].includes(botId))
        throw familiarBotErrors.create('TELEGRAM_BOT_IN_USE', 'This bot already answers here (the main bot or another familiar’s)', {
          field: 'token',
        });
      const me = await identify(token);
      if (me.id !== botId)
        throw familiarBotErrors.create('TELEGRAM_TOKEN_REJECTED', 'Telegram did not accept this bot token', { field: 'token' });
      const now = options.now();
      const sealed = vault.seal(location(familiar.id), token);
      await db.transaction().execute(async (tx) => {
        const had = await tx
          .selectFrom('telegram_familiar_bots')
          .select('created_at')
          .where('familiar_id', '=', familiar.id)
          .executeTakeFirst();
        await tx.deleteFrom('telegram_familiar_bots').where('familiar_id', '=', familiar.id).execute();
        await tx
          .insertInto('telegram_familiar_bots')
          .values({
            familiar_id: familiar.id,
            bot_id: botId,
            username: me.username,
            token_sealed: sealed,
            created_at: had?.created_at ?? now,
            updated_at: now,
          })
          .execute();
      });
      await options.audit.record({
        actor,
        action: 'channel.bot.add',
        target: `telegram:${botId}`,
        outcome: 'success',
        details: { channel: 'telegram', familiarId: familiar.id, botId, username: me.username },
      });
      await changed();
      const row = (await rows()).find((r) => r.familiar_id === familiar.id)!;
      return view(row);
    },
    async remove(ref, actor) {
      // by id or slug; a deleted familiar's bot by its id
      const familiarId = (options.familiars ? (await options.familiars.find(ref))?.id : undefined) ?? ref;
      const row = await db.selectFrom('telegram_familiar_bots').select(['bot_id']).where('familiar_id', '=', familiarId).executeTakeFirst();
      if (!row) return false;
      await db.deleteFrom('telegram_familiar_bots').where('familiar_id', '=', familiarId).execute();
      await options.audit.record({
        actor,
        action: 'channel.bot.remove',
        target: `telegram:${row.bot_id}`,
        outcome: 'success',
        details: { channel: 'telegram', familiarId, botId: row.bot_id },
      });
      await changed();
      return true;
    },
    sync,
    adapters: () => [...running.keys()].flatMap((id) => adapterOf(id) ?? []),
    async start() {
      if (options.cluster && !unsubscribe)
        unsubscribe = options.cluster.bus.subscribe(
          CHANGED_TOPIC,
          () => void sync().catch((err: unknown) => logger.warn({ err: scrubber.error(err) }, 'telegram bots sync failed')),
        );
      await sync();
    },
    async stop() {
      unsubscribe?.();
      unsubscribe = undefined;
      await syncing.catch(() => undefined);
      const all = [...running.values()];
      running.clear();
      await Promise.all(all.map((r) => r.stop()));
    },
    familiarData: {
      part: 'telegram_familiar_bots',
      count: async () => ({}),
      async erase(familiarId) {
        const r = await db.deleteFrom('telegram_familiar_bots').where('familiar_id', '=', familiarId).executeTakeFirst();
        const removed = Number(r.numDeletedRows);
        if (removed > 0) void sync().catch(() => undefined);
        // a setting, not data held of anyone; reported only when there was one
        const counts: Record<string, number> = {};
        if (removed > 0) counts.telegramFamiliarBots = removed;
        return counts;
      },
    },
  };
}
