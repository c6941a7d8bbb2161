import { randomBytes } from 'node:crypto';
import { sql, type Selectable } from 'kysely';
import { createQueryCache, type Storage } from '../storage/index.js';
import type { Embedder } from './embeddings/types.js';
import { createBlindSearchIndex } from './blind-index.js';
import { isSealedText, MemoryCryptoError, type MemoryCipher, type MemoryEncryption } from './encryption.js';
import { createSearchIndex, type Hit, type HitLimit, type SearchIndex } from './search-index.js';
import type { MemoryDb, MemoryTables } from './tables.js';
import type { Memory, MemoryRepository, Metadata, NewMemory, ScoredMemory, TurnRecord } from './types.js';
import { checkMemory } from './validate.js';
import { checkOnly } from './planner.js';
import { fuse } from './vectors.js';
import { createWriteBehind } from './write-behind.js';

export interface MemoryRepositoryOptions {
  readonly storage: Storage;
  readonly now?: () => number;
  /** When set, writes enqueue an embedding and searches fuse vectors (MEM-2). */
  readonly embedder?: Embedder | undefined;
  /**
   * PostgreSQL with HEARTH_DATABASE_ENCRYPTION=on (DATA-2): memory text, neighbour context and
   * version history are stored sealed (encryption.ts) and the lexical index is the blind token
   * index (blind-index.ts). Ignored on SQLite, whose whole file is encrypted instead.
   */
  readonly encryption?: MemoryEncryption | undefined;
}

type Row = Selectable<MemoryTables['memory_items']>;

const MAX_TURN_CHARS = 10_000;
const MAX_CONTEXT_CHARS = 20_000;
const newId = () => `mem_${randomBytes(12).toString('base64url')}`;
const parseMeta = (s: string): Metadata => JSON.parse(s) as Metadata;
function toMemory(r: Omit<Row, 'context'>): Memory {
  return {
    id: r.id,
    userId: r.user_id,
    familiarId: r.familiar_id,
    kind: r.kind,
    text: r.text,
    metadata: parseMeta(r.metadata),
    provenance: r.provenance,
    sourceRef: r.source_ref,
    version: Number(r.version),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}
const totalOf = (limit: HitLimit) => (typeof limit === 'number' ? limit : Object.values(limit).reduce((a, b) => a + b, 0));

/** The best hits in all, or the best of each kind (hits come best first). */
function topHits(hits: readonly Hit[], limit: HitLimit): Hit[] {
  if (typeof limit === 'number') return hits.slice(0, limit);
  const taken = new Map<string, number>();
  return hits.filter((h) => {
    const n = taken.get(h.kind) ?? 0;
    taken.set(h.kind, n + 1);
    return n < (limit[h.kind] ?? 0);
  });
}
const COLUMNS = [
  'seq',
  'id',
  'user_id',
  'familiar_id',
  'kind',
  'text',
  'metadata',
  'provenance',
  'source_ref',
  'context',
  'version',
  'created_at',
  'updated_at',
] as const;
/** What a search result needs: not the neighbour context, which can be long. */
const RESULT_COLUMNS = COLUMNS.filter((c) => c !== 'context');

/** What the repository adds for its own concern's workers (the embedding worker reads texts through it). */
export interface MemoryRepositoryInternals {
  readonly searchIndex: SearchIndex;
  /** The stored texts of rows as plaintext (opened when memory text is encrypted). */
  openTexts(rows: ReadonlyArray<{ id: string; text: string }>): Promise<string[]>;
}

/** The memory repository over SQLite or PostgreSQL; every query carries the owner's user id (DATA-4). */
export function createMemoryRepository(options: MemoryRepositoryOptions): MemoryRepository & MemoryRepositoryInternals {
  const { storage, embedder } = options;
  const now = options.now ?? Date.now;
  const db: MemoryDb = storage.db.withTables<MemoryTables>();
  const encryption = storage.dialect === 'postgres' ? options.encryption : undefined;
  const cipher = async (): Promise<MemoryCipher | undefined> => encryption?.cipher();
  // The turn path's look-ups (every turn's indexing and retrieval): built and compiled once per shape.
  const queries = createQueryCache();
  const searchIndex = encryption
    ? createBlindSearchIndex(storage, createSearchIndex(storage), () => encryption.cipher())
    : createSearchIndex(storage);
  /** A stored row with its text (and context) as plaintext. */
  function opened<R extends { id: string; text: string; context?: string | null }>(c: MemoryCipher | undefined, row: R): R {
    if (!c) {
      // Sealed text read without the key would be shown as garbage: refused with the reason instead.
      if (storage.dialect === 'postgres' && isSealedText(row.text))
        throw new MemoryCryptoError('MEMORY_ENCRYPTED', 'memory text is encrypted: set HEARTH_DATABASE_ENCRYPTION=on with its master key');
      return row;
    }
    const text = c.open('memory_items.text', row.id, row.text);
    if (row.context === undefined || row.context === null) return { ...row, text };
    return { ...row, text, context: c.open('memory_items.context', row.id, row.context) };
  }
  const sealText = (c: MemoryCipher | undefined, id: string, text: string) => (c ? c.seal('memory_items.text', id, text) : text);
  const sealContext = (c: MemoryCipher | undefined, id: string, context: string | null) =>
    c && context !== null ? c.seal('memory_items.context', id, context) : context;
  const versionId = (memoryId: string, version: number) => `${memoryId}#${version}`;

  async function insert(tx: MemoryDb, inputs: readonly NewMemory[]): Promise<Row[]> {
    const at = now();
    const c = await cipher();
    const out: Row[] = [];
    for (let i = 0; i < inputs.length; i += 200) {
      const values = inputs.slice(i, i + 200).map((m) => {
        checkMemory(m.text, m.metadata);
        return {
          id: newId(),
          user_id: m.userId,
          familiar_id: m.familiarId,
          kind: m.kind ?? 'memory',
          text: m.text,
          metadata: JSON.stringify(m.metadata ?? {}),
          provenance: m.provenance,
          source_ref: m.sourceRef ?? null,
          context: m.context ?? null,
          version: 1,
          created_at: at,
          updated_at: at,
        };
      });
      const stored = c ? values.map((v) => ({ ...v, text: sealText(c, v.id, v.text), context: sealContext(c, v.id, v.context) })) : values;
      // Only the assigned keys come back (RETURNING order is unspecified, so by id); the rest is known.
      const keys = await tx.insertInto('memory_items').values(stored).returning(['seq', 'id']).execute();
      const seqOf = new Map(keys.map((k) => [k.id, k.seq]));
      const rows: Row[] = values.map((v) => ({ ...v, seq: seqOf.get(v.id)! }));
      await searchIndex.index(
        tx,
        rows.map((r) => ({ seq: Number(r.seq), userId: r.user_id, text: r.text, context: r.context })),
      );
      if (embedder)
        await tx
          .insertInto('memory_embed_queue')
          .values(rows.map((r) => ({ seq: r.seq, user_id: r.user_id, enqueued_at: at, attempts: 0 })))
          .execute();
      out.push(...rows);
    }
    return out;
  }
  async function owned(tx: MemoryDb, userId: string, id: string): Promise<Row | undefined> {
    const row = await tx.selectFrom('memory_items').select(COLUMNS).where('user_id', '=', userId).where('id', '=', id).executeTakeFirst();
    return row && opened(await cipher(), row);
  }
  async function removeRows(tx: MemoryDb, rows: ReadonlyArray<{ seq: number; id: string }>) {
    for (let i = 0; i < rows.length; i += 500) {
      const chunk = rows.slice(i, i + 500);
      const seqs = chunk.map((r) => Number(r.seq));
      await searchIndex.unindex(tx, seqs);
      await tx.deleteFrom('memory_embed_queue').where('seq', 'in', seqs).execute();
      await tx
        .deleteFrom('memory_versions')
        .where(
          'memory_id',
          'in',
          chunk.map((r) => r.id),
        )
        .execute();
      await tx.deleteFrom('memory_items').where('seq', 'in', seqs).execute();
    }
  }
  /** The newest stored turn of a conversation (its neighbour context grows with the next turn). */
  async function newestTurn(tx: MemoryDb, turn: TurnRecord): Promise<Row | undefined> {
    // source_ref is `conversation:message` and message ids sort by time, so the newest turn is
    // the first entry of index memory_items_source, read backwards; ';' sorts right after ':'.
    const { rows } = await queries.run(
      tx,
      'newest-turn',
      (q, slot) =>
        q
          .selectFrom('memory_items')
          .select(COLUMNS)
          .where('user_id', '=', slot(0) as string)
          .where('source_ref', '>=', slot(1) as string)
          .where('source_ref', '<', slot(2) as string)
          .where(checkOnly(storage.dialect, 'familiar_id'), '=', slot(3) as string)
          .where(checkOnly(storage.dialect, 'kind'), '=', 'turn')
          .orderBy('source_ref', 'desc')
          .limit(1),
      [turn.userId, `${turn.conversationId}:`, `${turn.conversationId};`, turn.familiarId],
    );
    const row = rows[0];
    return row && opened(await cipher(), row);
  }
  /**
   * Neighbour context: a turn is indexed with the turns around it (lower weight), so an answer is
   * found by the words of the question it answers. Measured by bench/recall.ts. A batch is written
   * per conversation: one look-up of its newest stored turn, then every new turn in one insert.
   */
  async function writeTurns(batch: readonly TurnRecord[]) {
    const conversations = new Map<string, Array<{ turn: TurnRecord; text: string }>>();
    for (const turn of batch) {
      // One bad turn must not cost the batch the others: make it valid or skip it.
      const text = turn.text.replaceAll('\0', '').slice(0, MAX_TURN_CHARS);
      try {
        checkMemory(text, { role: turn.role, conversationId: turn.conversationId });
      } catch {
        continue;
      }
      const key = `${turn.userId}\0${turn.familiarId}\0${turn.conversationId}`;
      const list = conversations.get(key) ?? [];
      list.push({ turn, text });
      conversations.set(key, list);
    }
    if (conversations.size === 0) return;
    await db.transaction().execute(async (tx) => {
      // PostgreSQL: one writer per conversation at a time across replicas (a turn indexed live and
      // the same turn redone by recovery), in a fixed order so two batches never deadlock.
      if (storage.dialect === 'postgres')
        for (const id of [...new Set(batch.map((t) => t.conversationId))].sort())
          await sql`select pg_advisory_xact_lock(hashtext(${`hearth.turns:${id}`}))`.execute(tx);
      const rows: NewMemory[] = [];
      for (const all of conversations.values()) {
        const first = all[0]!;
        const previous = await newestTurn(tx, first.turn);
        // Indexing is idempotent (recovery redoes what a crash left undone): a turn not newer than
        // the newest indexed one may be indexed already; the live path never pays for this look-up.
        const newestId = previous?.source_ref?.slice(first.turn.conversationId.length + 1);
        const late = newestId === undefined ? [] : all.filter((t) => t.turn.messageId <= newestId);
        const have = new Set<string>();
        if (late.length > 0)
          for (const r of await tx
            .selectFrom('memory_items')
            .select('source_ref')
            .where('user_id', '=', first.turn.userId)
            .where(
              'source_ref',
              'in',
              late.map((t) => `${t.turn.conversationId}:${t.turn.messageId}`),
            )
            .execute())
            have.add(r.source_ref ?? '');
        const seen = new Set<string>();
        const unique = (t: { turn: TurnRecord }) => {
          const ref = `${t.turn.conversationId}:${t.turn.messageId}`;
          if (have.has(ref) || seen.has(ref)) return false;
          seen.add(ref);
          return true;
        };
        const list = all.filter((t) => newestId === undefined || t.turn.messageId > newestId).filter(unique);
        const older = late.filter(unique);
        const turnRow = ({ turn, text }: { turn: TurnRecord; text: string }, context: string): NewMemory => ({
          userId: turn.userId,
          familiarId: turn.familiarId,
          kind: 'turn',
          text,
          context: context || undefined,
          provenance: turn.role === 'user' ? 'person' : 'familiar',
          metadata: { role: turn.role, conversationId: turn.conversationId },
          sourceRef: `${turn.conversationId}:${turn.messageId}`,
        });
        // A turn redone after newer ones were indexed: its context is the redone turns beside it.
        older.forEach((t, i) =>
          rows.push(turnRow(t, `${older[i - 1]?.text ?? ''} ${older[i + 1]?.text ?? ''}`.trim().slice(0, MAX_CONTEXT_CHARS))),
        );
        if (list.length === 0) continue;
        if (previous) {
          const context = `${previous.context ?? ''} ${list[0]!.text}`.trim().slice(0, MAX_CONTEXT_CHARS);
          await tx
            .updateTable('memory_items')
            .set({ context: sealContext(await cipher(), previous.id, context) })
            .where('seq', '=', previous.seq)
            .execute();
          await searchIndex.reindex(tx, [{ seq: Number(previous.seq), userId: first.turn.userId, text: previous.text, context }]);
        }
        // Each turn's context: the turn before it and the turn after it, as if written one by one.
        let before = previous?.text;
        list.forEach((t, i) => {
          rows.push(turnRow(t, `${before ?? ''} ${list[i + 1]?.text ?? ''}`.trim().slice(0, MAX_CONTEXT_CHARS)));
          before = t.text;
        });
      }
      if (rows.length > 0) await insert(tx, rows);
    });
  }
  const turns = createWriteBehind(writeTurns);

  async function rowsBySeq(userId: string, seqs: readonly number[]): Promise<Map<number, Omit<Row, 'context'>>> {
    if (seqs.length === 0) return new Map();
    const { rows } = await queries.run(
      db,
      `rows-by-seq:${seqs.length}`,
      (q, slot) =>
        q
          .selectFrom('memory_items')
          .select(RESULT_COLUMNS)
          .where(
            'seq',
            'in',
            seqs.map((_, i) => slot(i + 1) as number),
          )
          .where(checkOnly(storage.dialect, 'user_id'), '=', slot(0) as string),
      [userId, ...seqs],
    );
    const c = await cipher();
    return new Map(rows.map((r) => [Number(r.seq), opened(c, r)]));
  }

  return {
    searchIndex,
    async openTexts(rows) {
      const c = await cipher();
      return rows.map((r) => (c ? c.open('memory_items.text', r.id, r.text) : r.text));
    },
    async add(input) {
      const [row] = await db.transaction().execute((tx) => insert(tx, [input]));
      return toMemory(row!);
    },
    async addMany(inputs) {
      if (inputs.length === 0) return 0;
      return (await db.transaction().execute((tx) => insert(tx, inputs))).length;
    },
    async get(userId, id) {
      await turns.settle();
      const row = await owned(db, userId, id);
      return row && toMemory(row);
    },
    async list(query) {
      await turns.settle();
      let q = db.selectFrom('memory_items').select(COLUMNS).where('user_id', '=', query.userId);
      if (query.familiarId !== undefined) q = q.where('familiar_id', '=', query.familiarId);
      if (query.kinds?.length) q = q.where('kind', 'in', [...query.kinds]);
      if (query.before !== undefined) q = q.where('created_at', '<', query.before);
      const rows = await q
        .orderBy('created_at', 'desc')
        .orderBy('seq', 'desc')
        .limit(Math.min(query.limit ?? 100, 1000))
        .execute();
      const c = await cipher();
      return rows.map((r) => toMemory(opened(c, r)));
    },
    async update(userId, id, patch) {
      await turns.settle();
      checkMemory(patch.text, patch.metadata);
      return db.transaction().execute(async (tx) => {
        const row = await owned(tx, userId, id);
        if (!row) return undefined;
        const at = now();
        const c = await cipher();
        await tx
          .insertInto('memory_versions')
          .values({
            memory_id: row.id,
            user_id: userId,
            version: Number(row.version),
            text: c ? c.seal('memory_versions.text', versionId(row.id, Number(row.version)), row.text) : row.text,
            metadata: row.metadata,
            provenance: row.provenance,
            change: Number(row.version) === 1 ? 'create' : 'update',
            changed_at: Number(row.updated_at),
          })
          .execute();
        const text = patch.text ?? row.text;
        const metadata = patch.metadata ? JSON.stringify(patch.metadata) : row.metadata;
        await tx
          .updateTable('memory_items')
          .set({ text: sealText(c, row.id, text), metadata, version: Number(row.version) + 1, updated_at: at })
          .where('seq', '=', row.seq)
          .execute();
        if (patch.text !== undefined) {
          await searchIndex.unindex(tx, [Number(row.seq)]);
          await searchIndex.index(tx, [{ seq: Number(row.seq), userId, text, context: row.context }]);
          if (embedder) {
            await tx.deleteFrom('memory_embed_queue').where('seq', '=', row.seq).execute();
            await tx.insertInto('memory_embed_queue').values({ seq: row.seq, user_id: userId, enqueued_at: at, attempts: 0 }).execute();
          }
        }
        return toMemory({ ...row, text, metadata, version: Number(row.version) + 1, updated_at: at });
      });
    },
    async delete(userId, id) {
      await turns.settle();
      return db.transaction().execute(async (tx) => {
        const row = await owned(tx, userId, id);
        if (!row) return false;
        await removeRows(tx, [row]);
        return true;
      });
    },
    async history(userId, id) {
      await turns.settle();
      const row = await owned(db, userId, id);
      if (!row) return undefined;
      const old = await db
        .selectFrom('memory_versions')
        .selectAll()
        .where('user_id', '=', userId)
        .where('memory_id', '=', id)
        .orderBy('version')
        .execute();
      const c = await cipher();
      return [
        ...old.map((v) => ({
          version: Number(v.version),
          text: c ? c.open('memory_versions.text', versionId(v.memory_id, Number(v.version)), v.text) : v.text,
          metadata: parseMeta(v.metadata),
          provenance: v.provenance,
          change: v.change,
          at: Number(v.changed_at),
        })),
        {
          version: Number(row.version),
          text: row.text,
          metadata: parseMeta(row.metadata),
          provenance: row.provenance,
          change: Number(row.version) === 1 ? ('create' as const) : ('update' as const),
          at: Number(row.updated_at),
        },
      ];
    },
    async search(query) {
      await turns.settle();
      const clamp = (n: number | undefined) => Math.min(Math.max(n ?? 10, 1), 100);
      const perKind =
        query.perKind && Object.keys(query.perKind).length > 0
          ? Object.fromEntries(Object.entries(query.perKind).map(([k, n]) => [k, clamp(n)]))
          : undefined;
      const limit: HitLimit = perKind ?? clamp(query.limit);
      const scope = {
        userId: query.userId,
        familiarId: query.familiarId,
        kinds: perKind ? Object.keys(perKind) : query.kinds,
        metadata: query.metadata,
      };
      // Fusion needs more candidates from each list than it returns.
      const widened: HitLimit = !embedder
        ? limit
        : typeof limit === 'number'
          ? limit * 3
          : Object.fromEntries(Object.entries(limit).map(([k, n]) => [k, n * 3]));
      const lexical = await searchIndex.lexical(scope, query.q, widened);
      let ranked: Hit[] = lexical;
      if (embedder) {
        const vector = await embedder.embed([query.q]).then(
          (v) => v[0],
          () => undefined,
        );
        if (vector) {
          const near = await searchIndex.nearest(scope, vector, totalOf(widened));
          const kinds = new Map([...lexical, ...near].map((h) => [h.seq, h.kind]));
          ranked = fuse([lexical.map((h) => h.seq), near.map((h) => h.seq)]).map((h) => ({ ...h, kind: kinds.get(h.seq)! }));
        }
      }
      ranked = topHits(ranked, limit);
      const rows = await rowsBySeq(
        query.userId,
        ranked.map((h) => h.seq),
      );
      const out: ScoredMemory[] = [];
      for (const hit of ranked) {
        const row = rows.get(hit.seq);
        if (row) out.push({ ...toMemory(row), score: hit.score });
      }
      return out;
    },
    async eraseUser(userId) {
      await turns.settle();
      return db
        .transaction()
        .execute(async (tx) => {
          const rows = await tx.selectFrom('memory_items').select(['seq', 'id']).where('user_id', '=', userId).execute();
          await removeRows(tx, rows);
          await tx.deleteFrom('memory_versions').where('user_id', '=', userId).execute();
          await tx.deleteFrom('memory_embed_queue').where('user_id', '=', userId).execute();
          await tx.deleteFrom('memory_vectors').where('user_id', '=', userId).execute();
          return rows.length;
        })
        .then(async (n) => {
          await searchIndex.compact();
          return n;
        });
    },
    async reassignUser(from, to) {
      await turns.settle();
      const moved = await db.transaction().execute(async (tx) => {
        const c = await cipher();
        const rows = (
          await tx.selectFrom('memory_items').select(['seq', 'id', 'text', 'context']).where('user_id', '=', from).execute()
        ).map((r) => opened(c, r));
        for (const table of ['memory_items', 'memory_versions', 'memory_embed_queue', 'memory_vectors'] as const)
          await tx.updateTable(table).set({ user_id: to }).where('user_id', '=', from).execute();
        // The lexical index holds terms scoped to the owner: re-scoped to the new one, vectors kept.
        for (let i = 0; i < rows.length; i += 500)
          await searchIndex.reindex(
            tx,
            rows.slice(i, i + 500).map((r) => ({ seq: Number(r.seq), userId: to, text: r.text, context: r.context })),
          );
        return rows.length;
      });
      // The new owner's cached vectors would miss the moved ones (older seqs keep the stamp).
      searchIndex.dropCaches();
      if (moved > 0) await searchIndex.compact();
      return moved;
    },
    async removeConversation(tx, userId, conversationId) {
      // source_ref is `conversation:message` (index memory_items_source); ';' sorts right after ':'.
      const rows = await tx
        .selectFrom('memory_items')
        .select(['seq', 'id'])
        .where('user_id', '=', userId)
        .where('source_ref', '>=', `${conversationId}:`)
        .where('source_ref', '<', `${conversationId};`)
        .where(checkOnly(storage.dialect, 'kind'), '=', 'turn')
        .execute();
      await removeRows(tx, rows);
      return rows.length;
    },
    async removeMessages(tx, userId, conversationId, messageIds) {
      const refs = messageIds.map((id) => `${conversationId}:${id}`);
      const conversation = () =>
        tx
          .selectFrom('memory_items')
          .select(COLUMNS)
          .where('user_id', '=', userId)
          .where('source_ref', '>=', `${conversationId}:`)
          .where('source_ref', '<', `${conversationId};`)
          .where(checkOnly(storage.dialect, 'kind'), '=', 'turn')
          .orderBy('source_ref');
      const c = await cipher();
      const all = (await conversation().execute()).map((r) => opened(c, r));
      const gone = all.filter((r) => refs.includes(r.source_ref ?? ''));
      if (gone.length === 0) return 0;
      await removeRows(tx, gone);
      // The turns that were next to a removed one held its words as neighbour context: rebuilt from their new neighbours.
      const kept = all.filter((r) => !refs.includes(r.source_ref ?? ''));
      const removed = new Set(gone);
      const touched = kept.filter((row) => {
        const at = all.indexOf(row);
        return (at > 0 && removed.has(all[at - 1]!)) || (at + 1 < all.length && removed.has(all[at + 1]!));
      });
      for (const row of touched) {
        const i = kept.indexOf(row);
        const context = `${kept[i - 1]?.text ?? ''} ${kept[i + 1]?.text ?? ''}`.trim().slice(0, MAX_CONTEXT_CHARS) || null;
        await tx
          .updateTable('memory_items')
          .set({ context: sealContext(c, row.id, context) })
          .where('seq', '=', row.seq)
          .execute();
        await searchIndex.reindex(tx, [{ seq: Number(row.seq), userId, text: row.text, context }]);
      }
      return gone.length;
    },
    async countFamiliar(familiarId) {
      await turns.settle();
      const rows = await db
        .selectFrom('memory_items')
        .select(['kind', (eb) => eb.fn.countAll<number>().as('n')])
        .where('familiar_id', '=', familiarId)
        .groupBy('kind')
        .execute();
      const of = (kind: string) => Number(rows.find((r) => r.kind === kind)?.n ?? 0);
      return { memories: of('memory'), turns: of('turn') };
    },
    async eraseFamiliar(familiarId) {
      await turns.settle();
      const removed = await db.transaction().execute(async (tx) => {
        const rows = await tx.selectFrom('memory_items').select(['seq', 'id', 'kind']).where('familiar_id', '=', familiarId).execute();
        await removeRows(tx, rows);
        return { memories: rows.filter((r) => r.kind === 'memory').length, turns: rows.filter((r) => r.kind === 'turn').length };
      });
      if (removed.memories + removed.turns > 0) await searchIndex.compact();
      return removed;
    },
    addTurn: (turn) => turns.push(turn),
    flush: () => turns.settle(),
    async pruneTurns(before) {
      await turns.settle();
      return db.transaction().execute(async (tx) => {
        const rows = await tx
          .selectFrom('memory_items')
          .select(['seq', 'id'])
          .where('kind', '=', 'turn')
          .where('created_at', '<', before)
          .execute();
        await removeRows(tx, rows);
        return rows.length;
      });
    },
  };
}
