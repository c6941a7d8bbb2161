import type { Bot } from 'grammy';
import type { Update } from 'grammy/types';
import type { LeasedState } from '../../cluster/index.js';
import type { Logger } from '../../logging/index.js';
import { ChannelError, type SecretScrubber } from '../core/index.js';

/** What is kept for the next owner of a bot (#19): where to poll from, and updates taken but not finished. */
interface PollState {
  readonly next: number;
  readonly pending: Update[];
}

export interface UpdatePoller {
  /** A message handled beside the loop: the update is finished only when `run` settles. */
  track(updateId: number, run: Promise<unknown>): void;
  /** Runs updates a previous owner took but did not finish, then long-polls; resolves once polling. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface UpdatePollerOptions {
  readonly bot: Bot;
  /** Shared-state key of this bot (its numeric id, never the token). */
  readonly key: string;
  readonly state: LeasedState;
  readonly logger: Logger;
  readonly scrubber: SecretScrubber;
  /** Long-poll seconds per getUpdates (default 30). */
  readonly timeoutSec?: number;
}

const MAX_BACKOFF_MS = 30_000;

/**
 * grammY long polling with its position kept in the database (#19). Each batch is written ahead
 * (the new offset and the updates taken) before it is handled, and an update leaves `pending` once
 * its handler finished (a message: once its reply was sent). A replica that takes the bot over
 * re-runs what is still pending and polls from the stored offset: an update acknowledged to
 * Telegram is never dropped, and one answered is not answered again (only a crash between a reply
 * and its bookkeeping can repeat it). A fenced write (another replica owns the bot now) stops polling.
 */
export function createUpdatePoller(options: UpdatePollerOptions): UpdatePoller {
  const { bot, logger, scrubber, state, key } = options;
  const inflight = new Map<number, Promise<unknown>>();
  let next = 0;
  const pending = new Map<number, Update>();
  let saving: Promise<void> = Promise.resolve();
  /** The write queued behind the running one: later changes join it instead of queueing another. */
  let queued: Promise<void> | undefined;
  let controller: AbortController | undefined;
  let loop: Promise<void> | undefined;

  /**
   * Writes the state as it is when the write runs. Writes are serialized, and at most one waits
   * behind the running one (it will carry every change made meanwhile), so bookkeeping keeps up
   * with replies and the window where a crash repeats a reply stays one write long.
   */
  const persist = (): Promise<void> => {
    if (queued) return queued;
    const write = saving.then(() => {
      queued = undefined;
      const value: PollState = { next, pending: [...pending.values()].sort((a, b) => a.update_id - b.update_id) };
      return state.save(key, JSON.stringify(value));
    });
    queued = write;
    saving = write.catch(() => undefined);
    return write;
  };
  const fail = (err: unknown) => {
    if (controller?.signal.aborted) return;
    logger.error({ err: scrubber.error(err), channel: 'telegram' }, 'telegram update state could not be saved; polling stopped');
    controller?.abort();
  };

  const dispatch = async (update: Update) => {
    try {
      await bot.handleUpdate(update);
    } catch (err) {
      const inner = (err as { error?: unknown }).error ?? err;
      logger.error({ err: scrubber.error(inner), channel: 'telegram' }, 'telegram update failed');
    }
    const run = inflight.get(update.update_id);
    inflight.delete(update.update_id);
    void Promise.resolve(run)
      .catch(() => undefined)
      .then(() => {
        pending.delete(update.update_id);
        return persist();
      })
      .catch(fail);
  };

  const poll = async (signal: AbortSignal) => {
    let backoff = 1000;
    while (!signal.aborted) {
      let batch: Update[];
      try {
        batch = await bot.api.getUpdates(
          { offset: next, timeout: options.timeoutSec ?? 30 },
          signal as Parameters<Bot['api']['getUpdates']>[1],
        );
        backoff = 1000;
      } catch (err) {
        if (signal.aborted) break;
        const code = (err as { error_code?: number }).error_code;
        if (code === 401 || code === 404) {
          logger.error({ err: scrubber.error(err), channel: 'telegram' }, 'telegram polling stopped');
          break;
        }
        // 409: another getUpdates is running (a former owner not yet stopped); it ends within one long poll
        logger.warn({ err: scrubber.error(err), channel: 'telegram' }, 'telegram getUpdates failed; retrying');
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
        continue;
      }
      const fresh = batch.filter((u) => u.update_id >= next);
      if (fresh.length === 0) continue;
      next = fresh[fresh.length - 1]!.update_id + 1;
      for (const u of fresh) pending.set(u.update_id, u);
      try {
        await persist();
      } catch (err) {
        fail(err);
        break;
      }
      for (const u of fresh) {
        if (signal.aborted) break;
        await dispatch(u);
      }
    }
  };

  return {
    track(updateId, run) {
      inflight.set(updateId, run);
    },
    async start() {
      controller = new AbortController();
      const stored = await state.load(key);
      if (stored) {
        try {
          const parsed = JSON.parse(stored) as PollState;
          next = Number(parsed.next) || 0;
          for (const u of parsed.pending ?? []) pending.set(u.update_id, u);
        } catch {
          logger.warn({ channel: 'telegram' }, 'stored telegram update state is unreadable; polling from Telegram’s own position');
        }
      }
      try {
        await bot.init();
        await bot.api.deleteWebhook({ drop_pending_updates: false });
      } catch (err) {
        throw new ChannelError('CHANNEL_START_FAILED', `telegram: ${scrubber.error(err).message}`);
      }
      if (pending.size > 0)
        logger.info({ channel: 'telegram', updates: pending.size }, 'telegram: finishing updates a previous owner took');
      for (const u of [...pending.values()].sort((a, b) => a.update_id - b.update_id)) await dispatch(u);
      const signal = controller.signal;
      loop = poll(signal).catch((err: unknown) =>
        logger.error({ err: scrubber.error(err), channel: 'telegram' }, 'telegram polling stopped'),
      );
    },
    async stop() {
      controller?.abort();
      await loop;
      await saving;
    },
  };
}
