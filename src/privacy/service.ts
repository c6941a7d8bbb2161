import { createHash } from 'node:crypto';
import type { PersonData } from '../core/index.js';
import type { JobDefinition } from '../jobs/index.js';
import type { Logger } from '../logging/index.js';
import type { AuditActor, AuditService, PersonAliases } from '../security/audit/types.js';
import type { Storage } from '../storage/index.js';
import { ErasurePartError, privacyErrors } from './errors.js';

/** What the erasure removed, by table or kind (no content). */
type ErasureReport = Record<string, number>;

export interface PrivacyService {
  /** Everything Hearth holds about a person, as JSON (DATA-5). Secrets and hashes are never included. */
  exportPerson(userId: string): Promise<Record<string, unknown>>;
  /** Erases every row, index row, vector and file of a person; the audit keeps a pseudonymous record. */
  erase(userId: string, by: AuditActor, requestId?: string): Promise<ErasureReport>;
  /** Removes conversations older than `days` (retention job); returns how many. */
  pruneConversations(days: number): Promise<number>;
  /**
   * Moves everything Hearth holds of person `from` to person `to` (a channel-only person merged into
   * the web account they linked, #15), part by part in plugin order, audited with both; a failed part
   * fails it naming the part (what moved stays moved: nothing is lost, run it again to finish).
   */
  reassign(from: string, to: string, by: AuditActor, requestId?: string): Promise<ErasureReport>;
}

function actorPerson(actor: AuditActor): string | undefined {
  if (actor.type === 'user') return actor.id;
  if (actor.type === 'api_key' || actor.type === 'channel' || actor.type === 'model') return actor.userId;
  return undefined;
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
  /** What else a person is known by (account names, chat accounts), read before erasure: the audit shreds entries naming them. */
  readonly aliasesOf?: (userId: string) => Promise<PersonAliases>;
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
    async erase(userId, caller, requestId) {
      const report: ErasureReport = {};
      // A person erasing themselves is recorded as the system acting at their request: an entry naming
      // them would be sealed under a fresh key of theirs and outlive the shredding (DATA-5).
      const self = actorPerson(caller) === userId;
      const by: AuditActor = self ? { type: 'system' } : caller;
      const requested = self ? { requestedBy: 'self' } : {};
      // Any failure, of any part or of the final checkpoint, fails the whole erasure naming that part;
      // success is recorded and returned only after every part reported its removal.
      const fail = async (part: string, err: unknown): Promise<never> => {
        options.logger.error({ err, part, target: pseudonym(userId) }, 'erasure failed');
        await audit
          .record({
            actor: by,
            action: 'privacy.erase',
            target: pseudonym(userId),
            outcome: 'failure',
            ...(requestId ? { requestId } : {}),
            details: { part, ...requested },
          })
          .catch((auditErr: unknown) => options.logger.error({ err: auditErr, part }, 'could not audit the failed erasure'));
        throw privacyErrors.create(
          'ERASURE_INCOMPLETE',
          `Erasure failed at ${part}; what came before it was erased, run the erasure again to finish`,
          { part },
        );
      };
      const aliases = (await options.aliasesOf?.(userId)) ?? {};
      for (const hook of [...options.personData()].reverse()) {
        let removed: Record<string, number> | undefined;
        try {
          removed = await hook.erase?.(userId);
        } catch (err) {
          await fail(err instanceof ErasurePartError ? err.part : hook.part, err);
        }
        Object.assign(report, removed);
      }
      // Entries that name the person by account name (failed logins, with the caller's address) or by an
      // unlinked chat account go too; the audit hook already shredded those by id.
      try {
        Object.assign(report, await audit.erasePerson(userId, aliases));
      } catch (err) {
        await fail('audit', err);
      }
      // SQLite: secure_delete is on; a checkpoint moves freed pages out of the WAL too.
      try {
        if (storage.sqlite) storage.sqlite.pragma('wal_checkpoint(TRUNCATE)');
      } catch (err) {
        await fail('database checkpoint', err);
      }
      await audit.record({
        actor: by,
        action: 'privacy.erase',
        target: pseudonym(userId),
        outcome: 'success',
        ...(requestId ? { requestId } : {}),
        details: { removed: report, ...requested },
      });
      options.logger.info({ target: pseudonym(userId) }, 'person erased');
      return report;
    },
    async reassign(from, to, by, requestId) {
      if (from === to) return {};
      const report: ErasureReport = {};
      const entry = { actor: by, action: 'privacy.reassign', target: to, ...(requestId ? { requestId } : {}) };
      for (const hook of options.personData()) {
        try {
          Object.assign(report, await hook.reassign?.(from, to));
        } catch (err) {
          const part = err instanceof ErasurePartError ? err.part : hook.part;
          options.logger.error({ err, part }, 'merging a person failed');
          await audit
            .record({ ...entry, outcome: 'failure', details: { mergedUserId: from, part } })
            .catch((auditErr: unknown) => options.logger.error({ err: auditErr, part }, 'could not audit the failed merge'));
          throw privacyErrors.create(
            'REASSIGN_INCOMPLETE',
            `Merging the person failed at ${part}; nothing was lost, link again to finish`,
            {
              part,
            },
          );
        }
      }
      await audit.record({ ...entry, outcome: 'success', details: { mergedUserId: from, moved: report } });
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

/** The retention job (once a day, and at start) when `days` > 0 (off by default); undefined otherwise. */
export function retentionJob(options: { privacy: PrivacyService; days: number; logger: Logger }): JobDefinition | undefined {
  if (options.days <= 0) return undefined;
  return {
    name: 'privacy-retention',
    atStartMs: 0,
    everyMs: 86_400_000,
    async run() {
      const n = await options.privacy.pruneConversations(options.days);
      options.logger.info({ removed: n }, 'retention removed old conversations');
    },
  };
}
