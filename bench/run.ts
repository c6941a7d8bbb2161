// `npm run bench -- NAME [flags]`: runs bench/NAME.ts, whose exported main(argv) prints a table
// (or, with --json, one JSON object of its figures).
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.startsWith('_'))
  .map((f) => f.slice(0, -3))
  .sort();
const [name, ...rest] = process.argv.slice(2);
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- NAME [--json] [flags]\navailable: ${available.join(', ') || '(none)'}`);
  process.exit(2);
}
const mod = (await import(`./${name}.ts`)) as { main: (argv: string[]) => Promise<void> };
await mod.main(rest);
