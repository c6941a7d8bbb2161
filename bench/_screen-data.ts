// The labelled sets the injection screen is measured and trained on (LLM-2): every JSONL
// `{text, label}` file and every `.json` array of attack strings in the injection folder, plus two
// benign sets that are not injection data at all: LoCoMo's conversation turns (what people say to
// a companion) and the naughty strings (odd but harmless input).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { LabelledText } from '../src/security/screen/train.js';

export interface ScreenSet {
  readonly name: string;
  readonly rows: LabelledText[];
}

function strings(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.flatMap(strings);
  if (v && typeof v === 'object') return Object.values(v).flatMap(strings);
  return [];
}

/** One file of the injection folder: JSONL rows, or a JSON document whose strings are all attacks. */
export function loadInjectionFile(file: string): LabelledText[] {
  const raw = readFileSync(file, 'utf8');
  if (file.endsWith('.jsonl'))
    return raw
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as LabelledText);
  const data = JSON.parse(raw) as unknown;
  if (Array.isArray(data) && data.every((r) => r && typeof r === 'object' && 'text' in r)) return data as LabelledText[];
  return strings(data).map((text) => ({ text, label: 1 }));
}

export function injectionFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => /\.jsonl?$/.test(f))
    .sort();
}

interface LocomoSample {
  conversation: Record<string, unknown>;
}

/** The injection files of `dataRoot/injection` and the benign LoCoMo turns and naughty strings, where present. */
export function loadScreenSets(dataRoot: string): ScreenSet[] {
  const dir = join(dataRoot, 'injection');
  const sets: ScreenSet[] = injectionFiles(dir).map((name) => ({ name, rows: loadInjectionFile(join(dir, name)) }));
  const locomo = join(dataRoot, 'locomo', 'locomo-dev.json');
  if (existsSync(locomo)) {
    const samples = JSON.parse(readFileSync(locomo, 'utf8')) as LocomoSample[];
    const rows: LabelledText[] = [];
    for (const s of samples)
      for (const [key, turns] of Object.entries(s.conversation))
        if (/^session_\d+$/.test(key) && Array.isArray(turns))
          for (const t of turns as { text?: unknown }[]) if (typeof t.text === 'string') rows.push({ text: t.text, label: 0 });
    sets.push({ name: 'locomo turns (benign)', rows });
  }
  const blns = join(dataRoot, 'strings', 'blns.json');
  if (existsSync(blns)) {
    const rows = (JSON.parse(readFileSync(blns, 'utf8')) as string[]).filter((s) => s.trim()).map((text) => ({ text, label: 0 }));
    sets.push({ name: 'naughty strings (benign)', rows });
  }
  return sets;
}
