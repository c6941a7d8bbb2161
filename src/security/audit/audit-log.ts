import { sql } from 'kysely';
import { sanitizeForLog } from '../../logging/index.js';
import type { Storage } from '../../storage/index.js';
import { checkpointSignature, entryMac, type AuditTables, type StoredEntry } from './chain.js';
import type { AuditActor, AuditEntry, AuditEvent, AuditQuery, AuditService } from './types.js';
import { verifyChain } from './verify.js';

const MAX_DETAILS_CHARS = 8_000;
const MAX_TEXT = 500;

export interface AuditLogOptions {
  readonly storage: Storage;
  /** The chain key (a vault data key; see docs/audit.md). */
  readonly key: Buffer;
  readonly now?: () => number;
}

function personOf(actor: AuditActor): string | null {
  switch (actor.type) {
    case 'user':
      return actor.id;
    case 'api_key':
    case 'channel':
    case 'model':
      return actor.userId ?? null;
    default:
      return null;
  }
}

function clip(s: string | undefined): string | null {
  if (s === undefined) return null;
  return String(sanitizeForLog(s, { maxString: MAX_TEXT }));
}

function detailsText(details: Record<string, unknown> | undefined): string | null {
  if (!details) return null;
  const text = JSON.stringify(sanitizeForLog(details, { maxString: 1_000, maxDepth: 4, maxArray: 20 }));
  return text.length > MAX_DETAILS_CHARS ? JSON.stringify({ truncated: true, chars: text.length }) : text;
}

function toEntry(row: StoredEntry): AuditEntry {
  return {
    seq: Number(row.seq),
    at: Number(row.at),
    actor: JSON.parse(row.actor) as AuditActor,
    action: row.action,
    target: row.target,
    outcome: row.outcome as AuditEntry['outcome'],
    requestId: row.request_id,
    details: row.details === null ? null : (JSON.parse(row.details) as Record<string, unknown>),
  };
}

/**
 * The append-only, HMAC-chained audit log (LOG-3). Appends take the chain head under a row lock
 * (PostgreSQL) or the single-writer transaction (SQLite), so replicas never fork the chain.
 */
export function createAuditLog(options: AuditLogOptions): AuditService {
  const { storage, key } = options;
  const now = options.now ?? Date.now;
  const db = storage.db.withTables<AuditTables>();

  return {
    async record(event: AuditEvent) {
      const base = {
        at: now(),
        actor_type: event.actor.type,
        actor_user_id: personOf(event.actor),
        actor: JSON.stringify(sanitizeForLog(event.actor, { maxString: MAX_TEXT })),
        action: clip(event.action) ?? 'unknown',
        target: clip(event.target),
        outcome: event.outcome,
        request_id: clip(event.requestId),
        details: detailsText(event.details),
      };
      await db.transaction().execute(async (trx) => {
        let q = trx.selectFrom('audit_head').select(['seq', 'mac']).where('id', '=', 1);
        if (storage.dialect === 'postgres') q = q.forUpdate();
        const head = await q.executeTakeFirstOrThrow();
        const entry: StoredEntry = { seq: Number(head.seq) + 1, ...base };
        const mac = entryMac(key, head.mac, entry);
        await trx
          .insertInto('audit_log')
          .values({ ...entry, mac })
          .execute();
        await trx.updateTable('audit_head').set({ seq: entry.seq, mac }).where('id', '=', 1).execute();
      });
    },

    async list(query: AuditQuery = {}) {
      const limit = Math.min(Math.max(query.limit ?? 100, 1), 500);
      let q = db.selectFrom('audit_log').selectAll().orderBy('seq', 'desc').limit(limit);
      if (query.action) {
        if (query.action.endsWith('*') || query.action.endsWith('.')) {
          const prefix = query.action.replace(/\*$/, '');
          q = q.where(sql<string>`substr(action, 1, ${prefix.length})`, '=', prefix);
        } else q = q.where('action', '=', query.action);
      }
      if (query.userId) q = q.where('actor_user_id', '=', query.userId);
      if (query.actorType) q = q.where('actor_type', '=', query.actorType);
      if (query.outcome) q = q.where('outcome', '=', query.outcome);
      if (query.target) q = q.where('target', '=', query.target);
      if (query.since !== undefined) q = q.where('at', '>=', query.since);
      if (query.until !== undefined) q = q.where('at', '<', query.until);
      if (query.before !== undefined) q = q.where('seq', '<', query.before);
      return (await q.execute()).map(toEntry);
    },

    verify: () => verifyChain(storage, key),

    async prune(before: number) {
      return db.transaction().execute(async (trx) => {
        let h = trx.selectFrom('audit_head').select(['seq']).where('id', '=', 1);
        if (storage.dialect === 'postgres') h = h.forUpdate();
        await h.executeTakeFirstOrThrow();
        const last = await trx
          .selectFrom('audit_log')
          .select(['seq', 'mac'])
          .where('at', '<', before)
          .orderBy('seq', 'desc')
          .limit(1)
          .executeTakeFirst();
        if (!last) return 0;
        const old = await trx.selectFrom('audit_checkpoint').selectAll().where('id', '=', 1).executeTakeFirst();
        const del = await trx.deleteFrom('audit_log').where('seq', '<=', last.seq).executeTakeFirst();
        const removed = Number(del.numDeletedRows);
        const checkpoint = { seq: Number(last.seq), mac: last.mac, at: now(), pruned: Number(old?.pruned ?? 0) + removed };
        const signature = checkpointSignature(key, checkpoint);
        if (old)
          await trx
            .updateTable('audit_checkpoint')
            .set({ ...checkpoint, signature })
            .where('id', '=', 1)
            .execute();
        else
          await trx
            .insertInto('audit_checkpoint')
            .values({ id: 1, ...checkpoint, signature })
            .execute();
        return removed;
      });
    },
  };
}
