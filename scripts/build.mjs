// Builds what `npm start` runs, only when it is stale. `npm ci` runs it (the `prepare` script);
// `npm run build` runs it by hand. Plain JavaScript, so it needs nothing compiled first.
//  - server: src/cli/main.ts bundled by esbuild into dist/cli/main.js and lazy chunks in
//    dist/chunks/ (format esm, platform node, target node20; no type check — tsc does that), with
//    the few packages that are many small files bundled in (BUNDLED_PACKAGES) and the rest left
//    external. The build ends by writing dist/.stamp, a hash of every source's path, size and mtime
//    and of the installed packages' lockfile, so distIsFresh() (bin/hearth.js calls it on every run)
//    is one walk of src/ with stat calls: any edit, new, deleted or renamed file, or another install,
//    makes dist stale, and bin/hearth.js then runs the sources through tsx until the next build.
//  - web: web/dist (vite build) when it is missing or older than what it is built from
//    (scripts/web-build.mjs).
// `node scripts/build.mjs [server|web] [--force]`: both parts by default.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const SRC = join(ROOT, 'src');
const DIST = join(ROOT, 'dist');
const STAMP = '.stamp';
/** Part of the stamp: bump it when the esbuild options change, so old output counts as stale. */
const BUILD_FORMAT = 'esbuild-bundle-esm-node20-1';

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

/** Size and mtime of a file, or 'none': enough to see that npm rewrote it. */
function fileStamp(path) {
  try {
    const st = statSync(path);
    return `${st.size}\0${st.mtimeMs}`;
  } catch {
    return 'none';
  }
}

/**
 * What dist/.stamp must hold for dist/ to match src/ as it is now. The lockfiles stand for the
 * bundled packages: npm rewrites node_modules/.package-lock.json on every install.
 */
function sourceStamp() {
  return createHash('sha256')
    .update(BUILD_FORMAT)
    .update(sources().sort().join('\n'))
    .update(fileStamp(join(ROOT, 'node_modules', '.package-lock.json')))
    .update(fileStamp(join(ROOT, 'package-lock.json')))
    .digest('hex');
}

function builtStamp() {
  try {
    return readFileSync(join(DIST, STAMP), 'utf8');
  } catch {
    return undefined;
  }
}

/** True when dist/ was built from the sources in src/ and the packages installed now (a few ms). */
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

/** The files the last build wrote (dist/.outputs), so the next build keeps them one round. */
const OUTPUTS = '.outputs';

/**
 * What the sources' `import.meta.url` means once bundled: the URL the module had as its own file
 * under dist/ (dist/voice/routes/vad-assets.js), so `new URL('../../web/dist', import.meta.url)` and
 * createRequire resolve the same from src/ and from a bundle chunk. Every output file (the entry
 * dist/cli/main.js and the chunks in dist/chunks/) sits one folder below dist/, hence the '../'.
 */
const moduleUrlPlugin = {
  name: 'hearth-module-url',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, (args) => {
      if (!args.path.startsWith(SRC + sep)) return undefined;
      const source = readFileSync(args.path, 'utf8');
      if (!source.includes('import.meta.url')) return undefined;
      const asBuilt = relative(SRC, args.path).split(sep).join('/').replace(/\.ts$/, '.js');
      const url = `new URL(${JSON.stringify(`../${asBuilt}`)}, import.meta.url).href`;
      return { contents: source.replaceAll('import.meta.url', url), loader: 'ts' };
    });
  },
};

/**
 * Packages bundled in with the sources, and whatever they import in turn: each is one or two
 * hundred small files that Node would otherwise find and load one by one at every start (kysely
 * ~260, zod ~100, fastify and its dependencies ~190). fastify-type-provider-zod goes with zod, so
 * the route schemas and the validator share one zod. Plain JavaScript only: no native addon, no
 * file read beside its own code. Every other package stays external and loads from node_modules as
 * before, so one imported only lazily (channels, MCP, pg-boss: test/cli/start-lazy.test.ts) still
 * loads only when used.
 */
const BUNDLED_PACKAGES = new Set([
  'kysely',
  'zod',
  'fastify-type-provider-zod',
  'fastify',
  'fastify-plugin',
  '@fastify/helmet',
  '@fastify/static',
]);
/** External even where a bundled package imports it: pino finds its transport workers beside its own files. */
const ALWAYS_EXTERNAL = new Set(['pino']);

const packagesPlugin = {
  name: 'hearth-packages',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      const parts = args.path.split('/');
      const name = args.path.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
      if (ALWAYS_EXTERNAL.has(name)) return { external: true };
      // Only a bundled package is ever read from node_modules, so its imports are bundled too.
      const fromPackage = args.importer.split(sep).includes('node_modules');
      return BUNDLED_PACKAGES.has(name) || fromPackage ? undefined : { external: true };
    });
  },
};

/**
 * Bundled CommonJS calls require() for Node's own modules; an ES module has no require, so every
 * output file defines one (esbuild's shim uses it).
 */
const REQUIRE_BANNER =
  "import { createRequire as __hearthCreateRequire } from 'node:module'; const require = __hearthCreateRequire(import.meta.url);";

/**
 * Bundles src/ into dist/ unless it is fresh (or `force`); resolves to whether it built. One entry,
 * dist/cli/main.js, and chunks in dist/chunks/: each dynamic `import()` of a source module is a lazy
 * chunk, so what loads only when configured or for one command still loads only then (packages:
 * BUNDLED_PACKAGES). The stamp goes first (so bin/hearth.js runs the sources while the build runs),
 * each output file is replaced whole, the previous build's files stay one more round (a server
 * started before the build may still import its lazy chunks), older ones are removed, and the new
 * stamp comes last.
 */
export async function buildServer({ force = false } = {}) {
  const stamp = sourceStamp();
  if (!force && builtStamp() === stamp) return false;
  const { build } = await import('esbuild');
  rmSync(join(DIST, STAMP), { force: true });
  const result = await build({
    entryPoints: { 'cli/main': join(SRC, 'cli/main.ts') },
    outdir: DIST,
    entryNames: '[dir]/[name]',
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'linked',
    // Functions and classes keep their names where the bundle renames them (errors take their
    // name from their class; fastify and avvio name plugins after their functions).
    keepNames: true,
    write: false,
    logLevel: 'warning',
    banner: { js: REQUIRE_BANNER },
    plugins: [packagesPlugin, moduleUrlPlugin],
    // What of tsconfig.json changes emitted code.
    tsconfigRaw: { compilerOptions: { verbatimModuleSyntax: true, target: 'ES2022', useDefineForClassFields: true } },
  });
  const outputs = result.outputFiles.map((f) => f.path);
  for (const file of result.outputFiles) {
    mkdirSync(dirname(file.path), { recursive: true });
    writeAtomic(file.path, file.contents);
  }
  let previous = [];
  try {
    previous = readFileSync(join(DIST, OUTPUTS), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((f) => join(DIST, f));
  } catch {
    /* first build */
  }
  // Older builds' files, and the per-file output of earlier build formats (another build's
  // temporary files are left alone).
  const keep = new Set([...outputs, ...previous, join(DIST, STAMP), join(DIST, OUTPUTS)]);
  for (const file of filesUnder(DIST)) if (!keep.has(file) && !/\.tmp-\d+$/.test(file)) rmSync(file, { force: true });
  removeEmptyFolders(DIST);
  writeAtomic(join(DIST, OUTPUTS), outputs.map((f) => relative(DIST, f)).join('\n'));
  writeAtomic(join(DIST, STAMP), stamp);
  return true;
}

/** Removes the folders under dir that hold nothing (left by an earlier build format). */
function removeEmptyFolders(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true }))
    if (entry.isDirectory()) {
      const path = join(dir, entry.name);
      removeEmptyFolders(path);
      if (readdirSync(path).length === 0) rmSync(path, { recursive: true, force: true });
    }
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
