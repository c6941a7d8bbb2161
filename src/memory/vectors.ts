/** Scales a vector to unit length and quantizes it to int8 (the same 'unit' scheme as sqlite-vec). */
export function quantize(v: Float32Array): Int8Array {
  let norm = 0;
  for (const x of v) norm += x * x;
  norm = Math.sqrt(norm) || 1;
  const out = new Int8Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = Math.max(-127, Math.min(127, Math.round((v[i]! / norm) * 127)));
  return out;
}

/** Cosine similarity of two int8 vectors. */
export function cosineInt8(a: Int8Array, b: Int8Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i] ?? 0;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na && nb ? dot / Math.sqrt(na * nb) : 0;
}

/** Reciprocal rank fusion (k = 60) of ranked lists of ids. */
export function fuse(lists: ReadonlyArray<ReadonlyArray<number>>, k = 60): Array<{ seq: number; score: number }> {
  const scores = new Map<number, number>();
  for (const list of lists) list.forEach((seq, rank) => scores.set(seq, (scores.get(seq) ?? 0) + 1 / (k + rank + 1)));
  return [...scores].map(([seq, score]) => ({ seq, score })).sort((a, b) => b.score - a.score);
}
