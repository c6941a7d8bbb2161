import { createFeatureScratch, textFeatures, viewFeatures, type FeatureScratch, type SparseFeatures } from './features.js';

/**
 * The learned half of the injection screen (LLM-2): a logistic model over hashed word, word-pair,
 * character n-gram and meaning-family features (features.ts), trained by `npm run train:screen` on
 * the shared sets (train.ts) and shipped as data (model.ts). Weights are 8-bit quantized and base64
 * encoded so that 2^18 of them fit in a few hundred kilobytes of source.
 */
export interface ScreenModel {
  /** Hash width: the model has 2^bits weights. */
  readonly bits: number;
  /** Already shifted so that p >= 0.5 is the decision point calibrated on held-out training sources. */
  readonly bias: number;
  /** Weight of quantization step 1. */
  readonly scale: number;
  /** base64 of an Int8Array of 2^bits quantized weights. */
  readonly weights: string;
}

export interface CompiledModel {
  readonly bits: number;
  readonly bias: number;
  readonly weights: Float32Array;
  readonly scratch: FeatureScratch;
}

export function encodeScreenModel(bits: number, bias: number, weights: ArrayLike<number>): ScreenModel {
  let max = 0;
  for (let i = 0; i < weights.length; i++) max = Math.max(max, Math.abs(weights[i]!));
  const scale = max > 0 ? max / 127 : 1;
  const q = Int8Array.from({ length: weights.length }, (_, i) => Math.round(weights[i]! / scale));
  const round = (n: number) => Math.round(n * 1e6) / 1e6;
  return { bits, bias: round(bias), scale: round(scale), weights: Buffer.from(q.buffer).toString('base64') };
}

export function compileScreenModel(model: ScreenModel): CompiledModel {
  const raw = Buffer.from(model.weights, 'base64');
  if (raw.length !== 1 << model.bits) throw new Error(`screen model: expected ${1 << model.bits} weights, got ${raw.length}`);
  const q = new Int8Array(raw.buffer, raw.byteOffset, raw.length);
  const weights = new Float32Array(q.length);
  for (let i = 0; i < q.length; i++) weights[i] = q[i]! * model.scale;
  return { bits: model.bits, bias: model.bias, weights, scratch: createFeatureScratch(model.bits) };
}

function featureProbability(model: CompiledModel, x: SparseFeatures): number {
  let z = model.bias;
  for (let i = 0; i < x.index.length; i++) z += model.weights[x.index[i]!]! * x.value[i]!;
  return 1 / (1 + Math.exp(-z));
}

/** The model's probability that a text is an injection; 0.5 is its calibrated decision point. */
export function modelProbability(model: CompiledModel, text: string): number {
  return featureProbability(model, textFeatures(text, model.scratch));
}

/** The same, for a view already normalized as features.ts does (the screen computes it anyway). */
export function viewProbability(model: CompiledModel, view: string): number {
  return featureProbability(model, viewFeatures(view, model.scratch));
}
