// Builds what `npm start` runs, only when it is stale. `npm ci` runs it (the `prepare` script);
// `npm run build` runs it by hand. Plain JavaScript, so it needs nothing compiled first.
//  - server: every src/**/*.ts transpiled on its own by esbuild to the same path under dist/
//    (format esm, platform node, target node20; no bundling, no type check — tsc does that). The
//    build ends by writing dist/.stamp, a hash of every source's path, size and mtime, so
//    distIsFresh() (bin/hearth.js calls it on every run) is one walk of src/ with stat calls: any
//    edit, new, deleted or renamed file makes dist stale, and bin/hearth.js then runs the sources
//    through tsx until the next build.
//  - web: web/dist (vite build) when it is missing or older than what it is built from
//    (scripts/web-build.mjs).
// `node scripts/build.mjs [server|web] [--force]`: both parts by default.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const SRC = join(ROOT, 'src');
const DIST = join(ROOT, 'dist');
const STAMP = '.stamp';
/** Part of the stamp: bump it when the esbuild options change, so old output counts as stale. */
const BUILD_FORMAT = 'esbuild-esm-node20-1';

/** Every .ts file under src/: its relative path, size and mtime, one entry each. */
function sources(dir = SRC, rel = '', out = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isDirectory()) sources(join(dir, entry.name), path, out);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
      const st = statSync(join(dir, entry.name));
      out.push(`${path}\0${st.size}\0${st.mtimeMs}`);
    }
  }
  return out;
}

/** What dist/.stamp must hold for dist/ to match src/ as it is now. */
function sourceStamp() {
  return createHash('sha256').update(BUILD_FORMAT).update(sources().sort().join('\n')).digest('hex');
}

function builtStamp() {
  try {
    return readFileSync(join(DIST, STAMP), 'utf8');
  } catch {
    return undefined;
  }
}

/** True when dist/ was built from exactly the sources in src/ now (a few ms: one stat per file). */
export function distIsFresh() {
  return builtStamp() === sourceStamp();
}

/** Writes a file whole or not at all: a reader sees the old content or the new, never half. */
function writeAtomic(file, contents) {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, contents);
  renameSync(tmp, file);
}

/** Every file under dir (absolute paths). */
function filesUnder(dir, out = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) filesUnder(path, out);
    else out.push(path);
  }
  return out;
}

/**
 * Transpiles src/ to dist/ unless it is fresh (or `force`); resolves to whether it built. The
 * stamp goes first (so bin/hearth.js runs the sources while the build runs), each output file is
 * replaced whole, files whose source is gone are removed, and the new stamp comes last.
 */
export async function buildServer({ force = false } = {}) {
  const stamp = sourceStamp();
  if (!force && builtStamp() === stamp) return false;
  const { build } = await import('esbuild');
  rmSync(join(DIST, STAMP), { force: true });
  const result = await build({
    entryPoints: sources().map((line) => join(SRC, line.split('\0')[0])),
    outdir: DIST,
    outbase: SRC,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    bundle: false,
    sourcemap: 'linked',
    write: false,
    logLevel: 'warning',
    // What of tsconfig.json changes emitted code.
    tsconfigRaw: { compilerOptions: { verbatimModuleSyntax: true, target: 'ES2022', useDefineForClassFields: true } },
  });
  const outputs = new Set(result.outputFiles.map((f) => f.path));
  for (const file of result.outputFiles) {
    mkdirSync(dirname(file.path), { recursive: true });
    writeAtomic(file.path, file.contents);
  }
  // Output of deleted or renamed sources (and another build's temporary files are left alone).
  for (const file of filesUnder(DIST)) if (!outputs.has(file) && !/\.tmp-\d+$/.test(file)) rmSync(file, { force: true });
  writeAtomic(join(DIST, STAMP), stamp);
  return true;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const force = args.includes('--force');
  const parts = args.filter((a) => !a.startsWith('--'));
  const want = (part) => parts.length === 0 || parts.includes(part);
  if (want('server')) {
    const started = Date.now();
    if (await buildServer({ force })) console.log(`hearth: built dist/ from src/ in ${Date.now() - started} ms`);
  }
  if (want('web')) {
    const { ensureWebBuild, webBuildIsFresh } = await import('./web-build.mjs');
    if (force || !webBuildIsFresh()) {
      const started = Date.now();
      try {
        await ensureWebBuild({ force });
        console.log(`hearth: built web/dist in ${Date.now() - started} ms`);
      } catch (err) {
        // An install without devDependencies has no Vite: the server runs, without the web app.
        if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !String(err.message).includes("'vite'")) throw err;
        console.warn('hearth: Vite is not installed (devDependencies omitted); web/dist not built, the server runs without the web app');
      }
    }
  }
}
