// `npm run bench -- screen [--json] [--data DIR]`: detection and false-positive rates of the
// prompt-injection screen (LLM-2) per file of a directory of JSONL `{text, label}` files
// (label 1 = attack). A `.json` file holding arrays of strings counts as all attacks.
// `--cross [--data ROOT]`: leave-one-file-out cross-validation of the concept model (classifier.ts)
// over the injection files and the benign LoCoMo turns and naughty strings: for each file, a model
// trained on all the others (and on the hand-written sources of seed.ts, which are never held out;
// `--no-seed` leaves them out), scored on that file alone, by itself and inside the whole screen.
import { join, resolve } from 'node:path';
import { createInjectionScreen } from '../src/security/screen/index.js';
import { compileScreenModel, modelProbability } from '../src/security/screen/classifier.js';
import { SCREEN_MODEL } from '../src/security/screen/model.js';
import { seedSets } from '../src/security/screen/seed.js';
import { featurize, trainScreenModel } from '../src/security/screen/train.js';
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
      modelDetectionRate: number | null;
      modelFalsePositiveRate: number | null;
    }
  > = {};
  const shipped = compileScreenModel(SCREEN_MODEL);
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
    // Beside the target: the shipped model alone on the same rows (in-sample: it was trained on them).
    let md = 0,
      mf = 0;
    for (const row of rows) {
      if (modelProbability(shipped, row.text) < 0.5) continue;
      if (row.label === 1) md++;
      else mf++;
    }
    files[name] = {
      attacks: a,
      detected: d,
      detectionRate: rate(d, a),
      benign: b,
      falsePositives: f,
      falsePositiveRate: rate(f, b),
      usPerMessage: Math.round(us * 10) / 10,
      modelDetectionRate: rate(md, a),
      modelFalsePositiveRate: rate(mf, b),
    };
    attacks += a;
    detected += d;
    benign += b;
    fps += f;
  }
  // CPU time per screened text, the whole screen and the model's part of it: median of 5 passes over every row.
  const texts = injectionFiles(dir).flatMap((name) => loadInjectionFile(join(dir, name)).map((r) => r.text));
  const short = texts.filter((t) => t.length <= 500);
  const cpuPerText = (fn: (t: string) => unknown, over: readonly string[] = texts) => {
    const passes: number[] = [];
    for (let p = 0; p < 5; p++) {
      const start = process.cpuUsage();
      for (const t of over) fn(t);
      const used = process.cpuUsage(start);
      passes.push((used.user + used.system) / Math.max(1, over.length));
    }
    return Math.round(passes.sort((a, b) => a - b)[2]! * 10) / 10;
  };
  const cpu = {
    screenUsPerText: cpuPerText((t) => screen.screen(t)),
    modelUsPerText: cpuPerText((t) => modelProbability(shipped, t)),
    shortTexts: short.length,
    screenUsPerShortText: cpuPerText((t) => screen.screen(t), short),
    modelUsPerShortText: cpuPerText((t) => modelProbability(shipped, t), short),
  };
  const result = {
    detectionRate: rate(detected, attacks),
    falsePositiveRate: rate(fps, benign),
    attacks,
    benign,
    threshold: screen.threshold,
    cpu,
    files,
  };
  if (json) {
    console.log(JSON.stringify(result));
    return;
  }
  const pct = (v: number | null) => (v === null ? '     -' : `${(v * 100).toFixed(1).padStart(5)}%`);
  console.log(`injection screen on ${dir} (threshold ${screen.threshold})`);
  console.log(
    'file                                   attacks  detected  benign  false+   µs/msg | model alone (in-sample): detected  false+',
  );
  for (const [name, f] of Object.entries(files))
    console.log(
      `${name.padEnd(38)} ${String(f.attacks).padStart(7)}  ${pct(f.detectionRate)}  ${String(f.benign).padStart(6)}  ${pct(f.falsePositiveRate)}  ${f.usPerMessage.toFixed(1).padStart(7)} |                          ${pct(f.modelDetectionRate)}  ${pct(f.modelFalsePositiveRate)}`,
    );
  console.log(
    `${'all'.padEnd(38)} ${String(attacks).padStart(7)}  ${pct(result.detectionRate)}  ${String(benign).padStart(6)}  ${pct(result.falsePositiveRate)}`,
  );
  console.log('targets: detection > 90%, false positives < 3% of benign rows');
  console.log(
    `CPU per screened text (median of 5 passes over all ${texts.length} rows): ${cpu.screenUsPerText} µs, of which the model ${cpu.modelUsPerText} µs;`,
  );
  console.log(
    `  over the ${cpu.shortTexts} rows of at most 500 characters (a chat message): ${cpu.screenUsPerShortText} µs, of which the model ${cpu.modelUsPerShortText} µs`,
  );
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
  const seeds = argv.includes('--no-seed') ? [] : seedSets();
  const all = [...sets, ...seeds];
  const examples = featurize(all); // once: every fold trains on a subset of the same rows
  const folds: Record<string, FoldFigures> = {};
  for (const held of sets) {
    const h = all.indexOf(held);
    const model = trainScreenModel(
      all.filter((s) => s !== held),
      {},
      examples.filter((e) => e.source !== h),
    );
    const compiled = compileScreenModel(model);
    const screen = createInjectionScreen({ model });
    let attacks = 0,
      benign = 0,
      modelHits = 0,
      modelFalse = 0,
      screenHits = 0,
      screenFalse = 0;
    for (const row of held.rows) {
      const byModel = modelProbability(compiled, row.text) >= 0.5;
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
    console.log(JSON.stringify({ method: 'leave-one-file-out', seed: seeds.length > 0, folds }));
    return;
  }
  const pct = (v: number | null) => (v === null ? '     -' : `${(v * 100).toFixed(1).padStart(5)}%`);
  console.log(
    `injection screen, leave-one-file-out over ${root} (each row: trained on every other file${seeds.length ? ' and the hand-written seed sources' : ''})`,
  );
  console.log('held-out file                       attacks  benign | model: detected  false+ | screen: detected  false+');
  for (const [name, f] of Object.entries(folds))
    console.log(
      `${name.padEnd(34)} ${String(f.attacks).padStart(7)} ${String(f.benign).padStart(7)} |         ${pct(f.model.detectionRate)}  ${pct(f.model.falsePositiveRate)} |          ${pct(f.screen.detectionRate)}  ${pct(f.screen.falsePositiveRate)}`,
    );
  console.log(
    "model: the concept model alone at its calibrated point (p >= 0.5); screen: the rules with that fold's model (the rules were written",
  );
  console.log('against these files, so its column is not unseen data). Target: detection >= 90%, false positives <= 3% per held-out file.');
}
