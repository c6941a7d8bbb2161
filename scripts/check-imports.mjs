// Import boundaries of src/, run by `npm run lint`: one dependency-cruiser pass that reports
//  - the module-level rules of .dependency-cruiser.cjs (src/core/ imports no other folder;
//    src/server/ only from route files and the composition root), and
//  - cycles between the top-level folders of src/ (src/security → src/server → src/security),
//    which dependency-cruiser's own `circular` rule cannot see: it looks at modules, and a folder
//    cycle needs no module cycle. Type-only imports count (marked "type-only").
// Exit code 1 when either check finds something.
import { fileURLToPath } from 'node:url';
import { cruise, format } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';

process.chdir(fileURLToPath(new URL('..', import.meta.url)));
const options = await extractDepcruiseOptions('./.dependency-cruiser.cjs');
const tsConfig = extractTSConfig(options.tsConfig?.fileName ?? 'tsconfig.json');
const { output: result } = await cruise(['src'], { ...options, validate: true }, {}, { tsConfig });

const rules = await format(result, { outputType: 'err' });
let failed = rules.exitCode !== 0;
if (failed) process.stdout.write(rules.output);

/** `src/security/vault/index.ts` → `src/security`; a file directly in src/ is its own folder. */
const folderOf = (path) => path.match(/^src\/[^/]+/)?.[0] ?? path;

/** from folder → to folder → the imports that make the edge. */
const edges = new Map();
for (const mod of result.modules) {
  const from = folderOf(mod.source);
  for (const dep of mod.dependencies) {
    if (!dep.resolved.startsWith('src/')) continue;
    const to = folderOf(dep.resolved);
    if (to === from) continue;
    if (!edges.has(from)) edges.set(from, new Map());
    const out = edges.get(from);
    if (!out.has(to)) out.set(to, []);
    out.get(to).push({ from: mod.source, to: dep.resolved, typeOnly: dep.dependencyTypes.includes('type-only') });
  }
}

// Tarjan's strongly connected components over the folder graph.
const nodes = [...new Set([...edges.keys(), ...[...edges.values()].flatMap((m) => [...m.keys()])])].sort();
const index = new Map();
const low = new Map();
const onStack = new Set();
const stack = [];
const components = [];
let next = 0;
function visit(v) {
  index.set(v, next);
  low.set(v, next);
  next += 1;
  stack.push(v);
  onStack.add(v);
  for (const w of edges.get(v)?.keys() ?? []) {
    if (!index.has(w)) {
      visit(w);
      low.set(v, Math.min(low.get(v), low.get(w)));
    } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
  }
  if (low.get(v) === index.get(v)) {
    const component = [];
    let w;
    do {
      w = stack.pop();
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1) components.push(component.sort());
  }
}
for (const v of nodes) if (!index.has(v)) visit(v);

if (components.length > 0) {
  failed = true;
  console.log(`\n  error folder-cycle: ${components.length} group(s) of top-level folders of src/ import each other in a cycle.`);
  console.log('  Break one edge of each cycle (move the shared piece to src/core/ or invert the dependency).\n');
  for (const component of components) {
    const members = new Set(component);
    console.log(`  cycle among ${component.join(', ')}:`);
    for (const from of component) {
      for (const [to, imports] of [...(edges.get(from) ?? new Map())].sort(([a], [b]) => a.localeCompare(b))) {
        if (!members.has(to)) continue;
        const typeOnly = imports.every((i) => i.typeOnly);
        console.log(`    ${from} → ${to} (${imports.length} import${imports.length === 1 ? '' : 's'}${typeOnly ? ', all type-only' : ''})`);
        for (const i of imports.slice(0, 3)) console.log(`      ${i.from} → ${i.to}${i.typeOnly ? ' (type-only)' : ''}`);
        if (imports.length > 3) console.log(`      … and ${imports.length - 3} more`);
      }
    }
    console.log('');
  }
}

if (!failed)
  console.log(
    `✔ import boundaries hold (${result.summary.totalCruised} modules, ${result.summary.totalDependenciesCruised} dependencies cruised)`,
  );
process.exitCode = failed ? 1 : 0;
