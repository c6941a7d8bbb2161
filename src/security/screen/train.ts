import { conceptFeatures, type ScreenModel } from './classifier.js';

export interface LabelledText {
  readonly text: string;
  /** 1 = injection, 0 = benign. */
  readonly label: number;
}

/**
 * Logistic regression by SGD over concept features, classes balanced, L2-regularized. Deterministic
 * (a fixed-seed shuffle), so the shipped model is reproducible from the shared sets and the
 * cross-validation in `npm run bench -- screen --cross` trains exactly as the build does.
 */
export function trainScreenModel(rows: readonly LabelledText[], options: { epochs?: number } = {}): ScreenModel {
  const epochs = options.epochs ?? 30;
  const rate = 0.05;
  const l2 = 1e-3;
  const features = rows.map((r) => conceptFeatures(r.text));
  const positives = rows.filter((r) => r.label === 1).length;
  const negatives = rows.length - positives;
  if (positives === 0 || negatives === 0) throw new Error('training needs both injections and benign texts');
  const classWeight = [rows.length / (2 * negatives), rows.length / (2 * positives)] as const;
  const weights = new Map<string, number>();
  let bias = 0;
  const order = rows.map((_, i) => i);
  let seed = 1;
  const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (const i of order) {
      const x = features[i]!;
      const label = rows[i]!.label === 1 ? 1 : 0;
      const norm = 1 / Math.sqrt(Math.max(1, x.length));
      let z = bias;
      for (const f of x) z += (weights.get(f) ?? 0) * norm;
      const gradient = (1 / (1 + Math.exp(-z)) - label) * classWeight[label];
      for (const f of x) {
        const w = weights.get(f) ?? 0;
        weights.set(f, w - rate * (gradient * norm + l2 * w));
      }
      bias -= rate * gradient;
    }
  }
  const rounded: Record<string, number> = {};
  for (const [f, w] of [...weights].sort(([a], [b]) => (a < b ? -1 : 1))) if (Math.abs(w) >= 1e-4) rounded[f] = Math.round(w * 1e4) / 1e4;
  return { bias: Math.round(bias * 1e4) / 1e4, weights: rounded };
}
