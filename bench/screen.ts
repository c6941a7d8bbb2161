// `npm run bench -- screen [--json] [--data DIR]`: detection and false-positive rates of the
// prompt-injection screen (LLM-2) per file of a directory of JSONL `{text, label}` files
// (label 1 = attack). A `.json` file holding arrays of strings counts as all attacks.
// `--cross [--data ROOT]`: leave-one-file-out cross-validation of the concept model (classifier.ts)
// over the injection files and the benign LoCoMo turns and naughty strings: for each file, a model
// trained on all the others, scored on that file alone, by itself and inside the whole screen.
import { join, resolve } from 'node:path';
import { createInjectionScreen } from '../src/security/screen/index.js';
import { conceptFeatures, modelProbability } from '../src/security/screen/classifier.js';
import { trainScreenModel } from '../src/security/screen/train.js';
import { injectionFiles, loadInjectionFile, loadScreenSets } from './_screen-data.js';

const rate = (n: number, d: number) => (d === 0 ? null : Math.round((n / d) * 10_000) / 10_000);

export async function main(argv: string[]): Promise<void> {
  const json = argv.includes('--json');
  if (argv.includes('--cross')) return cross(argv, json);
  const i = argv.indexOf('--data');
  const dir = resolve(i >= 0 && argv[i + 1] ? argv[i + 1]! : '../shared/data/injection');
  const screen = createInjectionScreen();
  const files: Record<
    string,
    {
      attacks: number;
      detected: number;
      detectionRate: number | null;
      benign: number;
      falsePositives: number;
      falsePositiveRate: number | null;
      usPerMessage: number;
    }
  > = {};
  let attacks = 0;
  let detected = 0;
  let benign = 0;
  let fps = 0;
  for (const name of injectionFiles(dir)) {
    const rows = loadInjectionFile(join(dir, name));
    let a = 0,
      d = 0,
      b = 0,
      f = 0;
    const start = process.hrtime.bigint();
    for (const row of rows) {
      const flagged = screen.screen(row.text).flagged;
      if (row.label === 1) {
        a++;
        if (flagged) d++;
      } else {
        b++;
        if (flagged) f++;
      }
    }
    const us = Number(process.hrtime.bigint() - start) / 1000 / Math.max(1, rows.length);
    files[name] = {
      attacks: a,
      detected: d,
      detectionRate: rate(d, a),
      benign: b,
      falsePositives: f,
      falsePositiveRate: rate(f, b),
      usPerMessage: Math.round(us * 10) / 10,
    };
    attacks += a;
    detected += d;
    benign += b;
    fps += f;
  }
  const result = {
    detectionRate: rate(detected, attacks),
    falsePositiveRate: rate(fps, benign),
    attacks,
    benign,
    threshold: screen.threshold,
    files,
  };
  if (json) {
    console.log(JSON.stringify(result));
    return;
  }
  const pct = (v: number | null) => (v === null ? '     -' : `${(v * 100).toFixed(1).padStart(5)}%`);
  console.log(`injection screen on ${dir} (threshold ${screen.threshold})`);
  console.log('file                                   attacks  detected  benign  false+   µs/msg');
  for (const [name, f] of Object.entries(files))
    console.log(
      `${name.padEnd(38)} ${String(f.attacks).padStart(7)}  ${pct(f.detectionRate)}  ${String(f.benign).padStart(6)}  ${pct(f.falsePositiveRate)}  ${f.usPerMessage.toFixed(1).padStart(7)}`,
    );
  console.log(
    `${'all'.padEnd(38)} ${String(attacks).padStart(7)}  ${pct(result.detectionRate)}  ${String(benign).padStart(6)}  ${pct(result.falsePositiveRate)}`,
  );
  console.log('targets: detection > 90%, false positives < 3% of benign rows');
}

interface FoldFigures {
  attacks: number;
  benign: number;
  model: { detectionRate: number | null; falsePositiveRate: number | null };
  screen: { detectionRate: number | null; falsePositiveRate: number | null };
}

async function cross(argv: string[], json: boolean): Promise<void> {
  const i = argv.indexOf('--data');
  const root = resolve(i >= 0 && argv[i + 1] ? argv[i + 1]! : '../shared/data');
  const sets = loadScreenSets(root);
  const folds: Record<string, FoldFigures> = {};
  for (const held of sets) {
    const model = trainScreenModel(sets.filter((s) => s !== held).flatMap((s) => s.rows));
    const screen = createInjectionScreen({ model });
    let attacks = 0,
      benign = 0,
      modelHits = 0,
      modelFalse = 0,
      screenHits = 0,
      screenFalse = 0;
    for (const row of held.rows) {
      const byModel = modelProbability(model, conceptFeatures(row.text)) >= 0.5;
      const byScreen = screen.screen(row.text).flagged;
      if (row.label === 1) {
        attacks++;
        if (byModel) modelHits++;
        if (byScreen) screenHits++;
      } else {
        benign++;
        if (byModel) modelFalse++;
        if (byScreen) screenFalse++;
      }
    }
    folds[held.name] = {
      attacks,
      benign,
      model: { detectionRate: rate(modelHits, attacks), falsePositiveRate: rate(modelFalse, benign) },
      screen: { detectionRate: rate(screenHits, attacks), falsePositiveRate: rate(screenFalse, benign) },
    };
  }
  if (json) {
    console.log(JSON.stringify({ method: 'leave-one-file-out', folds }));
    return;
  }
  const pct = (v: number | null) => (v === null ? '     -' : `${(v * 100).toFixed(1).padStart(5)}%`);
  console.log(`injection screen, leave-one-file-out over ${root} (each row: trained on every other file)`);
  console.log('held-out file                       attacks  benign | model: detected  false+ | screen: detected  false+');
  for (const [name, f] of Object.entries(folds))
    console.log(
      `${name.padEnd(34)} ${String(f.attacks).padStart(7)} ${String(f.benign).padStart(7)} |         ${pct(f.model.detectionRate)}  ${pct(f.model.falsePositiveRate)} |          ${pct(f.screen.detectionRate)}  ${pct(f.screen.falsePositiveRate)}`,
    );
  console.log("model: the concept model alone at p >= 0.5; screen: the rules with that fold's model (the rules were written");
  console.log('against these files, so its column is not unseen data). Target: detection >= 90%, false positives <= 3% per held-out file.');
}
