// `npm run bench -- screen [--json] [--data DIR]`: detection and false-positive rates of the
// prompt-injection screen (LLM-2) per file of a directory of JSONL `{text, label}` files
// (label 1 = attack). A `.json` file holding arrays of strings counts as all attacks.
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInjectionScreen } from '../src/security/screen/index.js';

interface Row {
  text: string;
  label: number;
}

function load(file: string): Row[] {
  const raw = readFileSync(file, 'utf8');
  if (file.endsWith('.jsonl'))
    return raw
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as Row);
  const data = JSON.parse(raw) as unknown;
  const strings = (v: unknown): string[] =>
    typeof v === 'string'
      ? [v]
      : Array.isArray(v)
        ? v.flatMap(strings)
        : v && typeof v === 'object'
          ? Object.values(v).flatMap(strings)
          : [];
  if (Array.isArray(data) && data.every((r) => r && typeof r === 'object' && 'text' in r)) return data as Row[];
  return strings(data).map((text) => ({ text, label: 1 }));
}

const rate = (n: number, d: number) => (d === 0 ? null : Math.round((n / d) * 10_000) / 10_000);

export async function main(argv: string[]): Promise<void> {
  const json = argv.includes('--json');
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
  for (const name of readdirSync(dir)
    .filter((f) => /\.jsonl?$/.test(f))
    .sort()) {
    const rows = load(join(dir, name));
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
