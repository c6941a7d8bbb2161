import { createHmac } from 'node:crypto';
import { sql } from 'kysely';
import { sanitizeForLog } from '../../logging/index.js';
import type { Storage } from '../../storage/index.js';
import { createVault, type Vault } from '../vault/index.js';
import { createAppender } from './appender.js';
import { checkpointSignature, entryMac, type AuditTables, type StoredEntry } from './chain.js';
import {
  channelSubject,
  createSubjectKeys,
  nameSubject,
  openPersonal,
  personOf,
  publicActor,
  sealPersonal,
  subjectsOf,
} from './personal.js';
import type { AuditActor, AuditEntry, AuditEvent, AuditQuery, AuditService, ErasedActor } from './types.js';
import { verifyChain } from './verify.js';

const MAX_DETAILS_CHARS = 8_000;
const MAX_TEXT = 500;

export interface AuditLogOptions {
  readonly storage: Storage;
  /** The chain key (a vault data key; see docs/audit.md). */
  readonly key: Buffer;
  /** Seals the subject keys of crypto-shredding (the kernel's vault); without one, a vault under a key derived from the chain key. */
  readonly vault?: Vault;
  readonly now?: () => number;
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

/** Who was merged into whom, by key id (migration 1200). */
type MergeTables = {
  audit_subject_merges: { key_id: string; merged_key_id: string; at: number };
};

type Row = StoredEntry & { mac: string; target_tag: string | null };

interface Personal {
  actor: AuditActor;
  target: string | null;
  details: Record<string, unknown> | null;
}

/** An entry waiting for its batch: everything but its seq, MAC and seal, which follow from its place in the chain. */
interface Pending {
  base: Omit<StoredEntry, 'seq' | 'personal'>;
  keys: Array<{ id: string; key: Buffer }>;
  sealedFor: string | null;
  personal: Personal;
  target: string | null;
}

/** Entries per append transaction (13 parameters each: well under SQLite's and PostgreSQL's limits). */
const MAX_BATCH = 200;

function toEntry(row: Row, keys: Map<string, Buffer>): AuditEntry {
  const base = {
    seq: Number(row.seq),
    at: Number(row.at),
    action: row.action,
    outcome: row.outcome as AuditEntry['outcome'],
    requestId: row.request_id,
  };
  if (row.sealed_for === null || row.personal === null)
    return {
      ...base,
      actor: JSON.parse(row.actor) as AuditActor,
      target: row.target,
      details: row.details === null ? null : (JSON.parse(row.details) as Record<string, unknown>),
    };
  const personal = openPersonal(Number(row.seq), row.sealed_for, keys, row.personal) as Personal | undefined;
  if (personal) return { ...base, actor: personal.actor, target: personal.target, details: personal.details };
  const actor = { ...(JSON.parse(row.actor) as Omit<ErasedActor, 'erased'>), erased: true } as ErasedActor;
  return { ...base, actor, target: null, details: null, erased: true };
}

/**
 * The append-only, HMAC-chained audit log (LOG-3). Appends take the chain head under a row lock
 * (PostgreSQL) or the single-writer transaction (SQLite), so replicas never fork the chain; each
 * process appends in batches (appender.ts), so that lock is taken once per batch.
 */
export function createAuditLog(options: AuditLogOptions): AuditService {
  const { storage, key } = options;
  const now = options.now ?? Date.now;
  const db = storage.db.withTables<AuditTables & MergeTables>();
  /** The key ids of a person: their own, and those of every person merged into them (transitively, as stored). */
  const keyIdsOf = async (person: string): Promise<string[]> => {
    const own = subjects.idOf(person);
    const merged = await db.selectFrom('audit_subject_merges').select('merged_key_id').where('key_id', '=', own).execute();
    return [own, ...merged.map((m) => m.merged_key_id)];
  };

  const vault = options.vault ?? createVault({ masterKey: createHmac('sha256', key).update('hearth-audit/subject-vault').digest() });
  const subjects = createSubjectKeys({ storage, vault, chainKey: key, now });
  const targetTag = (target: string) => createHmac('sha256', key).update(`hearth-audit/target\0${target}`).digest('hex').slice(0, 32);

  // Appends in batches (appender.ts): one head lock per batch, not per entry, and at most one
  // append transaction in flight per process, so replicas no longer queue on the head row.
  const appender = createAppender<Pending>(async (batch) => {
    await db.transaction().execute(async (trx) => {
      let q = trx.selectFrom('audit_head').select(['seq', 'mac']).where('id', '=', 1);
      if (storage.dialect === 'postgres') q = q.forUpdate();
      const head = await q.executeTakeFirstOrThrow();
      let seq = Number(head.seq);
      let prev = head.mac;
      const rows: Row[] = [];
      const subjectRows: Array<{ seq: number; key_id: string }> = [];
      for (const p of batch) {
        seq++;
        const entry: StoredEntry = {
          seq,
          ...p.base,
          personal: p.sealedFor
            ? sealPersonal(
                seq,
                p.sealedFor,
                p.keys.map((k) => k.key),
                p.personal,
              )
            : null,
        };
        const mac = entryMac(key, prev, entry);
        prev = mac;
        rows.push({ ...entry, mac, target_tag: p.sealedFor && p.target !== null ? targetTag(p.target) : null });
        for (const k of p.keys) subjectRows.push({ seq, key_id: k.id });
      }
      await trx.insertInto('audit_log').values(rows).execute();
      if (subjectRows.length > 0) await trx.insertInto('audit_subjects').values(subjectRows).execute();
      await trx.updateTable('audit_head').set({ seq, mac: prev }).where('id', '=', 1).execute();
    });
  }, MAX_BATCH);

  return {
    async record(event: AuditEvent) {
      const actor = sanitizeForLog(event.actor, { maxString: MAX_TEXT }) as AuditActor;
      const target = clip(event.target);
      const details = detailsText(event.details);
      const people = subjectsOf(event);
      const keys = await subjects.idsFor(people);
      const sealedFor = keys.length > 0 ? keys.map((k) => k.id).join(',') : null;
      // An entry about someone keeps only what names nobody in clear; the rest is sealed below.
      const base = {
        at: now(),
        actor_type: event.actor.type,
        actor_user_id: sealedFor ? null : personOf(event.actor),
        actor: JSON.stringify(sealedFor ? publicActor(event.actor) : actor),
        action: clip(event.action) ?? 'unknown',
        target: sealedFor ? null : target,
        outcome: event.outcome,
        request_id: clip(event.requestId),
        details: sealedFor ? null : details,
        sealed_for: sealedFor,
      };
      await appender.push({
        base,
        keys,
        sealedFor,
        personal: { actor, target, details: details === null ? null : (JSON.parse(details) as Record<string, unknown>) },
        target,
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
      if (query.userId) {
        const person = query.userId;
        const keyIds = await keyIdsOf(person);
        q = q.where((eb) =>
          eb.or([
            eb('actor_user_id', '=', person),
            eb('seq', 'in', eb.selectFrom('audit_subjects').select('seq').where('key_id', 'in', keyIds)),
          ]),
        );
      }
      if (query.actorType) q = q.where('actor_type', '=', query.actorType);
      if (query.outcome) q = q.where('outcome', '=', query.outcome);
      if (query.target) {
        const t = query.target;
        q = q.where((eb) => eb.or([eb('target', '=', t), eb('target_tag', '=', targetTag(t))]));
      }
      if (query.since !== undefined) q = q.where('at', '>=', query.since);
      if (query.until !== undefined) q = q.where('at', '<', query.until);
      if (query.before !== undefined) q = q.where('seq', '<', query.before);
      const rows = (await q.execute()) as Row[];
      const ids = new Set(rows.flatMap((r) => (r.sealed_for ? r.sealed_for.split(',') : [])));
      const keys = await subjects.open([...ids]);
      return rows.map((row) => toEntry(row, keys));
    },

    async erasePerson(personId, aliases = {}) {
      let entries = 0;
      let keysDestroyed = 0;
      const all = [
        personId,
        ...(aliases.names ?? []).map(nameSubject),
        ...(aliases.channelIdentities ?? []).map((c) => channelSubject(c.channel, c.externalId)),
      ];
      // Every person merged into this one (#15) goes with them.
      const ids = [...new Set([...(await keyIdsOf(personId)), ...all.map((subject) => subjects.idOf(subject))])];
      for (const keyId of ids) {
        entries += await db.transaction().execute(async (trx) => {
          const mine = trx.selectFrom('audit_subjects').select('seq').where('key_id', '=', keyId);
          await trx.updateTable('audit_log').set({ target_tag: null }).where('seq', 'in', mine).execute();
          const res = await trx.deleteFrom('audit_subjects').where('key_id', '=', keyId).executeTakeFirst();
          return Number(res.numDeletedRows);
        });
        keysDestroyed += await subjects.destroyId(keyId);
      }
      await db.deleteFrom('audit_subject_merges').where('key_id', '=', subjects.idOf(personId)).execute();
      return { auditEntriesShredded: entries, auditKeysDestroyed: keysDestroyed };
    },

    async reassignPerson(from, to) {
      const into = subjects.idOf(to);
      const moved = await keyIdsOf(from);
      const at = now();
      await db.transaction().execute(async (trx) => {
        await trx
          .insertInto('audit_subject_merges')
          .values(moved.map((merged_key_id) => ({ key_id: into, merged_key_id, at })))
          .onConflict((oc) => oc.columns(['key_id', 'merged_key_id']).doNothing())
          .execute();
        await trx.deleteFrom('audit_subject_merges').where('key_id', '=', moved[0]!).execute();
      });
      const n = await db
        .selectFrom('audit_subjects')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('key_id', 'in', moved)
        .executeTakeFirst();
      return { auditEntriesMerged: Number(n?.n ?? 0) };
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
        await trx.deleteFrom('audit_subjects').where('seq', '<=', last.seq).execute();
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
