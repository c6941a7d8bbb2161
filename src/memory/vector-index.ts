import { sql } from 'kysely';
import type { MemoryDb } from './tables.js';
import { cosineInt8, quantize } from './vectors.js';

interface PersonVectors {
  readonly stamp: string;
  readonly dims: number;
  readonly seqs: number[];
  /** Sign bits, dims/32 words per vector: a Hamming pre-filter. */
  readonly bits: Uint32Array;
  /** int8-quantized unit vectors for the exact re-rank. */
  readonly int8: Int8Array;
}

function signBits(v: Int8Array, out: Uint32Array, offset: number) {
  for (let i = 0; i < v.length; i++) if (v[i]! > 0) out[offset + (i >>> 5)]! |= 1 << (i & 31);
}
function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/**
 * Vector search over one person's int8 vectors (table memory_vectors, both databases): a binary
 * (sign-bit Hamming) scan picks candidates, int8 cosine re-ranks them. The person's vectors are
 * cached in process, dropped on local deletes and reloaded when a newer vector appears (another replica wrote).
 */
export function createVectorIndex(db: MemoryDb, options: { maxCachedPeople?: number } = {}) {
  const cache = new Map<string, PersonVectors>();
  const maxPeople = options.maxCachedPeople ?? 64;

  async function load(userId: string, dims: number): Promise<PersonVectors> {
    // max(seq) is one index probe; vectors deleted elsewhere are dropped later by the row filter.
    const stampRow = await sql<{
      top: number | null;
    }>`select max(seq) as top from memory_vectors where user_id = ${userId} and dims = ${dims}`.execute(db);
    const stamp = String(Number(stampRow.rows[0]?.top ?? 0));
    const key = `${userId}\0${dims}`;
    const hit = cache.get(key);
    if (hit && hit.stamp === stamp) return hit;
    const rows = await db
      .selectFrom('memory_vectors')
      .select(['seq', 'data'])
      .where('user_id', '=', userId)
      .where('dims', '=', dims)
      .execute();
    const words = Math.ceil(dims / 32);
    const seqs: number[] = [];
    const bits = new Uint32Array(rows.length * words);
    const int8 = new Int8Array(rows.length * dims);
    rows.forEach((r, i) => {
      const v = new Int8Array(r.data.buffer, r.data.byteOffset, dims);
      int8.set(v, i * dims);
      signBits(v, bits, i * words);
      seqs.push(Number(r.seq));
    });
    const entry = { stamp, dims, seqs, bits, int8 };
    cache.delete(key);
    cache.set(key, entry);
    if (cache.size > maxPeople) cache.delete(cache.keys().next().value!);
    return entry;
  }

  return {
    async put(tx: MemoryDb, seq: number, userId: string, vector: Float32Array) {
      const data = Buffer.from(quantize(vector).buffer);
      await tx
        .insertInto('memory_vectors')
        .values({ seq, user_id: userId, dims: vector.length, data })
        .onConflict((oc) => oc.column('seq').doUpdateSet({ data, dims: vector.length }))
        .execute();
    },
    async remove(tx: MemoryDb, seqs: readonly number[]) {
      if (seqs.length === 0) return;
      // Only the owners of the removed vectors lose their cached index; everyone else's stays warm.
      const owners = await tx
        .selectFrom('memory_vectors')
        .select('user_id')
        .distinct()
        .where('seq', 'in', [...seqs])
        .execute();
      await tx
        .deleteFrom('memory_vectors')
        .where('seq', 'in', [...seqs])
        .execute();
      const gone = new Set(owners.map((o) => o.user_id));
      for (const key of [...cache.keys()]) if (gone.has(key.slice(0, key.indexOf('\0')))) cache.delete(key);
    },
    /** The `limit` nearest of a person's vectors, best first (cosine similarity as score). */
    async nearest(userId: string, vector: Float32Array, limit: number): Promise<Array<{ seq: number; score: number }>> {
      const p = await load(userId, vector.length);
      const n = p.seqs.length;
      if (n === 0) return [];
      const q = quantize(vector);
      const words = Math.ceil(p.dims / 32);
      const qbits = new Uint32Array(words);
      signBits(q, qbits, 0);
      // Candidates: the best by Hamming distance (a few hundred), then the exact int8 cosine.
      const want = Math.min(n, Math.max(limit * 4, 200));
      const dist = new Uint16Array(n);
      const counts = new Uint32Array(p.dims + 2);
      for (let i = 0; i < n; i++) {
        let d = 0;
        for (let w = 0; w < words; w++) d += popcount((p.bits[i * words + w]! ^ qbits[w]!) >>> 0);
        dist[i] = d;
        counts[d]!++;
      }
      let cutoff = 0;
      for (let acc = 0; cutoff <= p.dims && acc + counts[cutoff]! < want; cutoff++) acc += counts[cutoff]!;
      const scored: Array<{ seq: number; score: number }> = [];
      for (let i = 0; i < n; i++) {
        if (dist[i]! > cutoff) continue;
        scored.push({ seq: p.seqs[i]!, score: cosineInt8(q, p.int8.subarray(i * p.dims, (i + 1) * p.dims)) });
      }
      return scored.sort((a, b) => b.score - a.score).slice(0, limit);
    },
    /** Drops every cached person (the `invalidate` webhook): a vector rewritten in place keeps its seq, so the stamp misses it. */
    clear() {
      cache.clear();
    },
  };
}
