import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Logger } from '../logging/index.js';
import type { MemoryRepository } from '../memory/index.js';
import type { NotesStore } from '../memory/notes/index.js';
import type { AuditActor, AuditService } from '../security/audit/types.js';
import type { Storage } from '../storage/index.js';
import { PERSON_TABLES, tableExists } from './tables.js';

/** What the erasure removed, by table (no content). */
export type ErasureReport = Record<string, number>;

export interface PrivacyService {
  /** Everything Hearth holds about a person, as JSON (DATA-5). Secrets and hashes are never included. */
  exportPerson(userId: string): Promise<Record<string, unknown>>;
  /** Erases every row, index row, vector and file of a person; the audit keeps a pseudonymous record. */
  erase(userId: string, by: AuditActor, requestId?: string): Promise<ErasureReport>;
  /** Removes conversations older than `days` (retention job); returns how many. */
  pruneConversations(days: number): Promise<number>;
}

/** A stable pseudonym for a person in the audit log after erasure. */
export const pseudonym = (userId: string) => `erased:${createHash('sha256').update(`hearth-erasure\0${userId}`).digest('hex').slice(0, 16)}`;

export interface PrivacyOptions {
  readonly storage: Storage;
  readonly memories: MemoryRepository;
  readonly notes: NotesStore;
  readonly audit: AuditService;
  readonly logger: Logger;
  readonly now?: () => number;
}

/** Export, erasure and retention across every concern's tables (DATA-5). */
export function createPrivacyService(options: PrivacyOptions): PrivacyService {
  const { storage, memories, notes, audit } = options;
  const now = options.now ?? Date.now;
  const db = storage.db;

  async function rows(table: string, column: string, userId: string): Promise<Array<Record<string, unknown>>> {
    if (!(await tableExists(storage, table))) return [];
    const r = await sql<Record<string, unknown>>`select * from ${sql.table(table)} where ${sql.ref(column)} = ${userId}`.execute(db);
    return r.rows;
  }

  return {
    async exportPerson(userId) {
      const user = (await rows('identity_users', 'id', userId))[0];
      const profile = user ? { id: user.id, name: user.name, role: user.role, createdAt: Number(user.created_at) } : { id: userId };
      const conversations = await rows('conversations', 'user_id', userId);
      const messages = await rows('messages', 'user_id', userId);
      const all = [];
      for (let before: number | undefined; ; ) {
        const page = await memories.list({ userId, kinds: ['memory', 'turn'], limit: 1000, ...(before !== undefined ? { before } : {}) });
        all.push(...page);
        if (page.length < 1000) break;
        before = page[page.length - 1]!.createdAt;
      }
      const withHistory = [];
      for (const m of all) withHistory.push({ ...m, history: m.kind === 'memory' ? await memories.history(userId, m.id) : undefined });
      const channelIdentities = (await rows('channel_identities', 'user_id', userId)).map((r) => ({ channel: r.channel, externalId: r.external_id, displayName: r.display_name }));
      const auditEntries = await audit.list({ userId, limit: 10_000 });
      return {
        exportedAt: now(),
        profile,
        conversations: conversations.map((c) => ({ ...c, messages: messages.filter((m) => m.conversation_id === c.id) })),
        memories: withHistory.filter((m) => m.kind === 'memory'),
        pastTurnsIndexed: withHistory.filter((m) => m.kind === 'turn').length,
        channelIdentities,
        audit: auditEntries,
      };
    },
    async erase(userId, by, requestId) {
      const report: ErasureReport = {};
      report.memories = await memories.eraseUser(userId);
      report.noteFolders = await notes.erasePerson(userId).catch(() => 0);
      const present: Array<(typeof PERSON_TABLES)[number]> = [];
      for (const t of PERSON_TABLES) if (await tableExists(storage, t.table)) present.push(t);
      await db.transaction().execute(async (tx) => {
        for (const { table, column } of present) {
          const r = await sql`delete from ${sql.table(table)} where ${sql.ref(column)} = ${userId}`.execute(tx);
          report[table] = Number(r.numAffectedRows ?? 0);
        }
      });
      // SQLite: secure_delete is on; a checkpoint moves freed pages out of the WAL too.
      if (storage.sqlite) storage.sqlite.pragma('wal_checkpoint(TRUNCATE)');
      await audit.record({ actor: by, action: 'privacy.erase', target: pseudonym(userId), outcome: 'success', ...(requestId ? { requestId } : {}), details: { removed: report } });
      options.logger.info({ target: pseudonym(userId) }, 'person erased');
      return report;
    },
    async pruneConversations(days) {
      const before = now() - days * 86_400_000;
      let removed = 0;
      if (await tableExists(storage, 'conversations')) {
        const hasMessages = await tableExists(storage, 'messages');
        await db.transaction().execute(async (tx) => {
          if (hasMessages) await sql`delete from messages where conversation_id in (select id from conversations where updated_at < ${before})`.execute(tx);
          const r = await sql`delete from conversations where updated_at < ${before}`.execute(tx);
          removed = Number(r.numAffectedRows ?? 0);
        });
      }
      await memories.pruneTurns(before);
      return removed;
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
