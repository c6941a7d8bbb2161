import { randomBytes } from 'node:crypto';
import {
  createChannelHub,
  createIdentityLinks,
  createLinkCodes,
  createPairingStore,
  createScrubber,
  CHANNEL_BUDGET,
  LINK_BUDGET,
  LINK_BUDGET_LIMIT,
  PERSON_BUDGET,
  type AccessRules,
  type ChannelHub,
  type ChannelTables,
  type IdentityLinks,
  type PairingStore,
  type SecretScrubber,
} from '../../src/channels/core/index.js';
import type { ChannelName, TurnReply, TurnRequest, TurnRunner } from '../../src/companions/index.js';
import { createLogger, type Logger } from '../../src/logging/index.js';
import { createAuditLog, type AuditService } from '../../src/security/audit/index.js';
import { createRateLimiter, type HearthRateLimiter } from '../../src/security/ratelimit/index.js';
import { LogCapture } from '../support/log-capture.js';
import { openTestStorage, type DatabaseKind, type TestStorage } from '../support/databases.js';

export { LogCapture };

/**
 * A turn at the channel boundary: records requests and answers with a scripted reply. Channels
 * only call TurnRunner.run; the real turn lives in src/companions.
 */
export class ScriptedTurns implements TurnRunner {
  readonly requests: TurnRequest[] = [];
  reply: (req: TurnRequest) => string = (req) => `echo: ${req.text}`;
  async run(request: TurnRequest): Promise<TurnReply> {
    this.requests.push(request);
    return { conversationId: 'c1', messageId: `m${this.requests.length}`, text: this.reply(request) };
  }
}

export interface ChannelHarness {
  readonly db: TestStorage;
  readonly audit: AuditService;
  readonly limiter: HearthRateLimiter;
  readonly logs: LogCapture;
  readonly logger: Logger;
  readonly identities: IdentityLinks;
  readonly pairings: PairingStore;
  readonly scrubber: SecretScrubber;
  readonly turns: ScriptedTurns;
  readonly hub: ChannelHub;
  /** Access rules per channel, editable by tests. */
  readonly rules: Partial<Record<ChannelName, AccessRules>>;
  /** Web accounts linking may attach to (id → name), editable by tests. */
  readonly accounts: Map<string, { id: string; name: string }>;
  /** Adapters' deliver functions, called when the owner approves someone. */
  readonly notifiers: Array<(channel: ChannelName, id: string, text: string) => Promise<void>>;
  clock: { now: number };
  close(): Promise<void>;
}

/** Real storage, audit log, rate limiter and logger, around the shared channel hub. */
export async function channelHarness(
  kind: DatabaseKind = 'sqlite',
  budgets: { person?: number; channel?: number } = {},
): Promise<ChannelHarness> {
  const db = await openTestStorage(kind);
  const clock = { now: Date.now() };
  const now = () => clock.now;
  const logs = new LogCapture();
  const logger = createLogger({ level: 'debug', destination: logs });
  const audit = createAuditLog({ storage: db.storage, key: randomBytes(32), now });
  const limiter = createRateLimiter({
    logger,
    budgets: {
      [PERSON_BUDGET]: { points: budgets.person ?? 100, durationSec: 60 },
      [CHANNEL_BUDGET]: { points: budgets.channel ?? 1000, durationSec: 60 },
      [LINK_BUDGET]: LINK_BUDGET_LIMIT,
    },
    keyPrefix: `test:${randomBytes(4).toString('hex')}`,
  });
  const tables = db.storage.db.withTables<ChannelTables>();
  const identities = createIdentityLinks({ db: tables, now });
  const pairings = createPairingStore({ db: tables, now });
  const scrubber = createScrubber();
  const turns = new ScriptedTurns();
  const rules: Partial<Record<ChannelName, AccessRules>> = {};
  const accounts = new Map<string, { id: string; name: string }>();
  const notifiers: Array<(channel: ChannelName, id: string, text: string) => Promise<void>> = [];
  const hub = createChannelHub({
    identities,
    pairings,
    linkCodes: createLinkCodes({ db: tables, now }),
    accounts: { find: async (id) => accounts.get(id) },
    audit,
    limiter,
    logger,
    scrubber,
    turns,
    rules: (c) => rules[c] ?? { allowedIds: [], ownerIds: [], pairing: true },
    familiarId: () => 'fam1',
    notify: async (c, id, text) => {
      for (const n of notifiers) await n(c, id, text);
    },
  });
  return {
    db,
    audit,
    limiter,
    logs,
    logger,
    identities,
    pairings,
    scrubber,
    turns,
    hub,
    rules,
    accounts,
    notifiers,
    clock,
    async close() {
      await limiter.close();
      await db.cleanup();
    },
  };
}
