import { createHash } from 'node:crypto';
import { AppError, type PersonData } from '../core/index.js';
import type { Logger } from '../logging/index.js';
import type { AuditActor, AuditService } from '../security/audit/types.js';
import type { Storage } from '../storage/index.js';

/** What the erasure removed, by table or kind (no content). */
type ErasureReport = Record<string, number>;

export interface PrivacyService {
  /** Everything Hearth holds about a person, as JSON (DATA-5). Secrets and hashes are never included. */
  exportPerson(userId: string): Promise<Record<string, unknown>>;
  /** Erases every row, index row, vector and file of a person; the audit keeps a pseudonymous record. */
  erase(userId: string, by: AuditActor, requestId?: string): Promise<ErasureReport>;
  /** Removes conversations older than `days` (retention job); returns how many. */
  pruneConversations(days: number): Promise<number>;
}

/** A stable pseudonym for a person in the audit log after erasure. */
const pseudonym = (userId: string) => `erased:${createHash('sha256').update(`hearth-erasure\0${userId}`).digest('hex').slice(0, 16)}`;

export interface PrivacyOptions {
  readonly storage: Storage;
  /** Every plugin's hooks, in plugin order; read at call time. */
  readonly personData: () => readonly PersonData[];
  readonly audit: AuditService;
  readonly logger: Logger;
  readonly now?: () => number;
}

/**
 * Export, erasure and retention over every plugin's personData hooks (DATA-5): privacy knows no
 * table of any other concern. Erasure runs the hooks in reverse plugin order, so the account row
 * (identity, listed first) goes last and a failed part leaves the person erasable again.
 */
export function createPrivacyService(options: PrivacyOptions): PrivacyService {
  const { storage, audit } = options;
  const now = options.now ?? Date.now;

  return {
    async exportPerson(userId) {
      const data: Record<string, unknown> = { exportedAt: now() };
      for (const hook of options.personData()) if (hook.export) Object.assign(data, await hook.export(userId));
      return data;
    },
    async erase(userId, by, requestId) {
      const report: ErasureReport = {};
      for (const hook of [...options.personData()].reverse()) {
        try {
          Object.assign(report, await hook.erase?.(userId));
        } catch (err) {
          options.logger.error({ err, part: hook.part, target: pseudonym(userId) }, 'erasure failed');
          await audit.record({
            actor: by,
            action: 'privacy.erase',
            target: pseudonym(userId),
            outcome: 'failure',
            ...(requestId ? { requestId } : {}),
            details: { part: hook.part },
          });
          throw new AppError('INTERNAL', `Erasure failed at ${hook.part}; nothing after it was reported erased`, { part: hook.part });
        }
      }
      // SQLite: secure_delete is on; a checkpoint moves freed pages out of the WAL too.
      if (storage.sqlite) storage.sqlite.pragma('wal_checkpoint(TRUNCATE)');
      await audit.record({
        actor: by,
        action: 'privacy.erase',
        target: pseudonym(userId),
        outcome: 'success',
        ...(requestId ? { requestId } : {}),
        details: { removed: report },
      });
      options.logger.info({ target: pseudonym(userId) }, 'person erased');
      return report;
    },
    async pruneConversations(days) {
      const before = now() - days * 86_400_000;
      let conversations = 0;
      for (const hook of options.personData()) conversations += (await hook.prune?.(before))?.conversations ?? 0;
      return conversations;
    },
  };
}

/** Runs the retention job once a day when `days` > 0 (off by default); returns the stopper. */
export function startRetention(options: { privacy: PrivacyService; days: number; logger: Logger }): () => void {
  if (options.days <= 0) return () => undefined;
  const run = () =>
    options.privacy.pruneConversations(options.days).then(
      (n) => options.logger.info({ removed: n }, 'retention removed old conversations'),
      (err: unknown) => options.logger.error({ err }, 'retention job failed'),
    );
  void run();
  const timer = setInterval(() => void run(), 86_400_000);
  timer.unref();
  return () => clearInterval(timer);
}
