import { encodeScreenModel, type ScreenModel } from './classifier.js';
import { createFeatureScratch, textFeatures, type SparseFeatures } from './features.js';

export interface LabelledText {
  readonly text: string;
  /** 1 = injection, 0 = benign. */
  readonly label: number;
}

/** One source of training texts (a corpus file); sources are balanced against each other. */
export interface TrainingSet {
  readonly name: string;
  readonly rows: readonly LabelledText[];
  /** Always trained on, never held out (the hand-written sources: cross-validation never holds them out either). */
  readonly alwaysTrain?: boolean;
}

export interface TrainOptions {
  /** Hash width in bits (2^bits weights). */
  readonly bits?: number;
  readonly epochs?: number;
  /** Highest false-positive rate tolerated on a benign source held out inside the training data. */
  readonly targetFalsePositives?: number;
}

const DEFAULTS = { bits: 18, epochs: 12, targetFalsePositives: 0.02 } as const;
const L2 = 5e-5;
const RATE = 0.5;

export interface Example {
  readonly x: SparseFeatures;
  readonly y: 0 | 1;
  readonly source: number;
  readonly alwaysTrain: boolean;
}

/** Features of every row, computed once (cross-validation trains many models on the same rows). */
export function featurize(sets: readonly TrainingSet[], bits: number = DEFAULTS.bits): Example[] {
  const scratch = createFeatureScratch(bits);
  return sets.flatMap((s, source) =>
    s.rows.map(
      (r) => ({ x: textFeatures(r.text, scratch), y: r.label === 1 ? 1 : 0, source, alwaysTrain: s.alwaysTrain === true }) as Example,
    ),
  );
}

/**
 * Weights per example: each class weighs half, and inside a class every source weighs the same, so
 * 2,760 LoCoMo turns do not drown 343 benign prompts, nor 222 long jailbreaks 28 extraction requests.
 * A model that must serve every source learns what they share.
 */
function exampleWeights(examples: readonly Example[]): Float64Array {
  const counts = new Map<string, number>();
  for (const e of examples) counts.set(`${e.y}:${e.source}`, (counts.get(`${e.y}:${e.source}`) ?? 0) + 1);
  const groupsPerClass = [0, 1].map((y) => [...counts.keys()].filter((k) => k.startsWith(`${y}:`)).length);
  return Float64Array.from(examples, (e) => examples.length / 2 / groupsPerClass[e.y]! / counts.get(`${e.y}:${e.source}`)!);
}

/** L2-regularized logistic regression by SGD (scaled-weight trick for sparse decay), fixed-seed order. */
function fit(examples: readonly Example[], bits: number, epochs: number): { w: Float64Array; bias: number } {
  const v = new Float64Array(1 << bits);
  let scale = 1;
  let bias = 0;
  const weight = exampleWeights(examples);
  const order = examples.map((_, i) => i);
  let seed = 1;
  const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    const rate = RATE / (1 + epoch);
    for (const k of order) {
      const { x, y } = examples[k]!;
      let z = bias;
      for (let i = 0; i < x.index.length; i++) z += v[x.index[i]!]! * scale * x.value[i]!;
      const g = (1 / (1 + Math.exp(-z)) - y) * weight[k]!;
      scale *= 1 - rate * L2;
      const step = (rate * g) / scale;
      for (let i = 0; i < x.index.length; i++) v[x.index[i]!]! -= step * x.value[i]!;
      bias -= rate * g * 0.1; // the bias moves slowly: class weights already balance it
      if (scale < 1e-6) {
        for (let i = 0; i < v.length; i++) v[i]! *= scale;
        scale = 1;
      }
    }
  }
  for (let i = 0; i < v.length; i++) v[i]! *= scale;
  return { w: v, bias };
}

const score = (m: { w: Float64Array; bias: number }, x: SparseFeatures) => {
  let z = m.bias;
  for (let i = 0; i < x.index.length; i++) z += m.w[x.index[i]!]! * x.value[i]!;
  return z;
};

/**
 * The decision point, chosen on the training data only: every source is held out in turn, a model
 * trained on the others scores it, and the threshold is the lowest margin at which no held-out benign
 * source has more than `target` false positives. So the shipped threshold already answers "how does
 * this model do on a file it has not seen", not "on the rows it learned".
 */
function calibrate(examples: readonly Example[], sources: number[], bits: number, epochs: number, target: number): number {
  let threshold = 0;
  for (const held of sources) {
    const benign = examples.filter((e) => e.source === held && e.y === 0);
    const others = examples.filter((e) => e.source !== held);
    if (benign.length === 0 || !others.some((e) => e.y === 0) || !others.some((e) => e.y === 1)) continue;
    const m = fit(others, bits, epochs);
    const margins = benign.map((e) => score(m, e.x)).sort((a, b) => b - a);
    const allowed = Math.floor(benign.length * target);
    threshold = Math.max(threshold, margins[allowed]! + 1e-6);
  }
  return threshold;
}

/**
 * Trains the concept model from labelled sources. Deterministic, so the shipped model is reproducible
 * from the shared sets and the cross-validation in `npm run bench -- screen --cross` trains exactly as
 * the build does. The bias is shifted so that p >= 0.5 is the calibrated decision point.
 */
export function trainScreenModel(sets: readonly TrainingSet[], options: TrainOptions = {}, cached?: Example[]): ScreenModel {
  const bits = options.bits ?? DEFAULTS.bits;
  const epochs = options.epochs ?? DEFAULTS.epochs;
  const examples = cached ?? featurize(sets, bits);
  if (!examples.some((e) => e.y === 1) || !examples.some((e) => e.y === 0))
    throw new Error('training needs both injections and benign texts');
  const sources = [...new Set(examples.filter((e) => !e.alwaysTrain).map((e) => e.source))];
  const threshold = calibrate(examples, sources, bits, epochs, options.targetFalsePositives ?? DEFAULTS.targetFalsePositives);
  const m = fit(examples, bits, epochs);
  return encodeScreenModel(bits, m.bias - threshold, m.w);
}
