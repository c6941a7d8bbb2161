// `npm run bench -- shell [--json] [--runs N]`: shell policy (EXEC-1) over ../shared/data/shell —
// verdict counts, classification time per command, and the cost of one sandboxed run.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createSandbox, createShellParser, createShellPolicy, parseAllowlist } from '../src/tools/shell/index.js';

const lines = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith('#'));

export async function main(argv: string[]): Promise<void> {
  const json = argv.includes('--json');
  const i = argv.indexOf('--runs');
  const runs = i >= 0 ? Number(argv[i + 1]) : 20;
  const dir = resolve('../shared/data/shell');
  const safe = lines(`${dir}/safe.txt`);
  const dangerous = lines(`${dir}/dangerous.txt`);
  const parser = await createShellParser();
  const allow = [...new Set([...safe, ...dangerous].map((l) => l.split(' ')[0]!.replace(/"/g, '').split('/').pop()!))];
  const policy = createShellPolicy({ parser, allowlist: parseAllowlist(allow) });
  const count = (set: string[]) => {
    const c = { allow: 0, ask: 0, deny: 0 };
    for (const l of set) c[policy.classify(l).verdict]++;
    return c;
  };
  const all = [...safe, ...dangerous];
  const t0 = performance.now();
  for (let r = 0; r < runs; r++) for (const l of all) policy.classify(l);
  const usPerCommand = ((performance.now() - t0) * 1000) / (runs * all.length);
  const sandbox = createSandbox({ bwrapPath: '/usr/bin/bwrap', timeoutMs: 10_000, outputLimit: 65_536 });
  let msPerRun: number | null = null;
  if (sandbox.unavailableReason() === null) {
    const s0 = performance.now();
    for (let r = 0; r < 10; r++) await sandbox.run('true');
    msPerRun = Math.round(((performance.now() - s0) / 10) * 10) / 10;
  }
  const result = {
    safe: count(safe),
    dangerous: count(dangerous),
    usPerCommand: Math.round(usPerCommand * 10) / 10,
    sandboxMsPerRun: msPerRun,
  };
  if (json) return void console.log(JSON.stringify(result));
  console.log('| set | allow | ask | deny |\n|---|---|---|---|');
  console.log(`| safe.txt (${safe.length}) | ${result.safe.allow} | ${result.safe.ask} | ${result.safe.deny} |`);
  console.log(`| dangerous.txt (${dangerous.length}) | ${result.dangerous.allow} | ${result.dangerous.ask} | ${result.dangerous.deny} |`);
  console.log(`\nclassification: ${result.usPerCommand} µs/command; sandbox start+exit (true): ${msPerRun ?? 'n/a'} ms/run`);
}
