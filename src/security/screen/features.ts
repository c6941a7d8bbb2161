import { conceptFeatures } from './concepts.js';
import { deobfuscate, foldText } from './normalize.js';

/**
 * The learned half's view of a text (LLM-2): hashed word unigrams and bigrams and character
 * 3- to 5-grams inside words, and the meaning families of concepts.ts, read after the screen's normalization (NFKC, invisibles removed,
 * homoglyphs folded, leetspeak and letter-spacing undone), so an obfuscated attack has the features
 * of the plain one. Each group is binary and L2-normalized on its own: a 10,000-character jailbreak
 * and a one-line request weigh the same, so the model cannot learn length instead of meaning.
 */
export interface SparseFeatures {
  readonly index: Int32Array;
  readonly value: Float32Array;
}

/** Longest text the model reads; longer ones are read on head and tail (attacks sit at either end). */
export const MODEL_MAX_CHARS = 6_000;

/** FNV-1a, 32 bits: stable across platforms and runs, so a shipped model reads the same buckets. */
function hash(s: string, seed: number): number {
  let h = 0x811c9dc5 ^ seed;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const CHAR_SEED = 0x811c9dc5 ^ 3;

/** Groups and their share of the vector's length: the meaning families generalize across sources best (measured by
 * leave-one-file-out), so they weigh most; spelling least. */
const GROUP_WEIGHT = { word: 1, bigram: 1, char: 0.7, concept: 4 } as const;

function modelView(text: string): string {
  const clipped = text.length > MODEL_MAX_CHARS ? `${text.slice(0, MODEL_MAX_CHARS / 2)} ${text.slice(-MODEL_MAX_CHARS / 2)}` : text;
  return deobfuscate(foldText(clipped));
}

/**
 * Working memory for featurizing, reused across texts (one per compiled model or training run, never
 * shared module state): a stamp per bucket to drop duplicates and an accumulator to merge groups.
 */
export interface FeatureScratch {
  readonly bits: number;
  readonly stamp: Int32Array;
  readonly acc: Float32Array;
  tick: number;
}

export function createFeatureScratch(bits: number): FeatureScratch {
  return { bits, stamp: new Int32Array(1 << bits), acc: new Float32Array(1 << bits), tick: 0 };
}

const GROUPS = ['word', 'bigram', 'char', 'concept'] as const;

/** The hashed features of an already normalized view (see modelView). */
export function viewFeatures(view: string, scratch: FeatureScratch): SparseFeatures {
  const mask = (1 << scratch.bits) - 1;
  const words = view.match(/[\p{L}\p{N}]+(?:'[\p{L}]+)?/gu) ?? [];
  const raw: number[][] = [[], [], [], []];
  const [word, bigram, char, concept] = raw as [number[], number[], number[], number[]];
  for (const c of conceptFeatures(view)) concept.push(hash(c, 4) & mask);
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    word.push(hash(w, 1) & mask);
    if (i + 1 < words.length) bigram.push(hash(`${w} ${words[i + 1]!}`, 2) & mask);
    const padded = ` ${w} `;
    if (padded.length > 40) continue; // long tokens (hashes, base64) carry no spelling evidence
    // 3-, 4- and 5-grams from each start share their hash prefix (no substrings built).
    for (let j = 0; j + 3 <= padded.length; j++) {
      let h = CHAR_SEED;
      for (let k = j; k < j + 5 && k < padded.length; k++) {
        h = Math.imul(h ^ padded.charCodeAt(k), 0x01000193);
        if (k - j >= 2) char.push((h >>> 0) & mask);
      }
    }
  }
  if (scratch.tick > 1 << 30) {
    scratch.stamp.fill(0);
    scratch.tick = 0;
  }
  const { stamp, acc } = scratch;
  const touched: number[] = [];
  for (let g = 0; g < GROUPS.length; g++) {
    const tick = ++scratch.tick;
    const unique: number[] = [];
    for (const i of raw[g]!)
      if (stamp[i] !== tick) {
        stamp[i] = tick;
        unique.push(i);
      }
    if (unique.length === 0) continue;
    const v = GROUP_WEIGHT[GROUPS[g]!] / Math.sqrt(unique.length);
    for (const i of unique) {
      if (acc[i] === 0) touched.push(i);
      acc[i]! += v;
    }
  }
  const index = Int32Array.from(touched);
  const value = Float32Array.from(touched, (i) => acc[i]!);
  for (const i of touched) acc[i] = 0;
  return { index, value };
}

export function textFeatures(text: string, scratch: FeatureScratch): SparseFeatures {
  return viewFeatures(modelView(text), scratch);
}
