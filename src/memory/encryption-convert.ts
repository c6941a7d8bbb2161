import { sql } from 'kysely';
import type { Storage } from '../storage/index.js';
import type { MemoryEncryption } from './encryption.js';
import type { SearchIndex } from './search-index.js';

export interface ConversionReport {
  /** Entries (memories and past turns) sealed and moved to the blind index. */
  readonly items: number;
  readonly versions: number;
  readonly proposals: number;
}

export interface ConversionOptions {
  readonly storage: Storage;
  readonly encryption: MemoryEncryption;
  /** The blind index (the repository's `searchIndex` with encryption on). */
  readonly index: SearchIndex;
  readonly batchSize?: number;
  /** Called after every committed batch (progress output; tests stop the process there). */
  readonly onBatch?: (done: ConversionReport) => void | Promise<void>;
}

/** Not in the sealed format (a row written before encryption was on). */
const PLAIN = sql`!~ '^hm1:[0-9a-f]{8}:'`;

/**
 * Encrypts what was stored before HEARTH_DATABASE_ENCRYPTION was on (PostgreSQL, DATA-2): memory
 * text and context, version history and proposals, in batches of one transaction each; an entry's
 * text, its blind-index terms and the cleared tsvector change together, so a batch is either
 * wholly done or not at all. Resumable: what is left is found by what it is (`blind_len` not set,
 * text not sealed), so a run killed at any moment is finished by running it again. Rows are locked
 * while converted, so a server already running with encryption on may keep writing meanwhile.
 */
export async function encryptStoredMemories(options: ConversionOptions): Promise<ConversionReport> {
  const { storage } = options;
  if (storage.dialect !== 'postgres') throw new Error('column encryption is for PostgreSQL; SQLite encrypts the whole file');
  const db = storage.db;
  const c = await options.encryption.cipher();
  const n = options.batchSize ?? 500;
  const done = { items: 0, versions: 0, proposals: 0 };

  for (let cursor = 0; ;) {
    const moved = await db.transaction().execute(async (tx) => {
      const { rows } = await sql<{
        seq: number;
        id: string;
        user_id: string;
        text: string;
        context: string | null;
      }>`select seq, id, user_id, text, context from memory_items where blind_len is null and seq > ${cursor} order by seq limit ${n} for update`.execute(
        tx,
      );
      for (const r of rows) {
        // A row's text may already be sealed (a server with encryption on updated it); open() passes plain text through.
        const text = c.open('memory_items.text', r.id, r.text);
        const context = r.context === null ? null : c.open('memory_items.context', r.id, r.context);
        await sql`update memory_items set text = ${c.seal('memory_items.text', r.id, text)}, context = ${
          context === null ? null : c.seal('memory_items.context', r.id, context)
        } where seq = ${r.seq}`.execute(tx);
        r.text = text;
        r.context = context;
      }
      await options.index.reindex(
        tx as never,
        rows.map((r) => ({ seq: Number(r.seq), userId: r.user_id, text: r.text, context: r.context })),
      );
      return rows;
    });
    if (moved.length === 0) break;
    cursor = Number(moved[moved.length - 1]!.seq);
    done.items += moved.length;
    await options.onBatch?.({ ...done });
  }

  for (let after = { id: '', version: -1 }; ;) {
    const moved = await db.transaction().execute(async (tx) => {
      const { rows } = await sql<{
        memory_id: string;
        version: number;
        text: string;
      }>`select memory_id, version, text from memory_versions where text ${PLAIN} and (memory_id, version) > (${after.id}, ${after.version}) order by memory_id, version limit ${n} for update`.execute(
        tx,
      );
      for (const r of rows)
        await sql`update memory_versions set text = ${c.seal('memory_versions.text', `${r.memory_id}#${Number(r.version)}`, r.text)} where memory_id = ${r.memory_id} and version = ${r.version}`.execute(
          tx,
        );
      return rows;
    });
    if (moved.length === 0) break;
    const last = moved[moved.length - 1]!;
    after = { id: last.memory_id, version: Number(last.version) };
    done.versions += moved.length;
    await options.onBatch?.({ ...done });
  }

  for (let after = ''; ;) {
    const moved = await db.transaction().execute(async (tx) => {
      const { rows } = await sql<{
        id: string;
        text: string;
      }>`select id, text from memory_proposals where text ${PLAIN} and id > ${after} order by id limit ${n} for update`.execute(tx);
      for (const r of rows)
        await sql`update memory_proposals set text = ${c.seal('memory_proposals.text', r.id, r.text)} where id = ${r.id}`.execute(tx);
      return rows;
    });
    if (moved.length === 0) break;
    after = moved[moved.length - 1]!.id;
    done.proposals += moved.length;
    await options.onBatch?.({ ...done });
  }
  return done;
}
