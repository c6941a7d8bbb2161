// Builds web/dist only when it is missing or older than what it is built from (web/src,
// web/index.html, the Vite config, the lockfile). `npm ci` runs it (the `prepare` script, through
// scripts/build.mjs), never `npm start`; the browser tests call ensureWebBuild() when one file is
// run alone. Plain JavaScript so that installing needs nothing compiled first.
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const WEB = join(ROOT, 'web');

function newest(path) {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let out = 0;
  for (const name of readdirSync(path)) out = Math.max(out, newest(join(path, name)));
  return out;
}

/** True when web/dist/index.html is at least as new as every input of the build. */
export function webBuildIsFresh() {
  const index = join(WEB, 'dist', 'index.html');
  if (!existsSync(index)) return false;
  const inputs = [join(WEB, 'src'), join(WEB, 'index.html'), join(WEB, 'vite.config.ts'), join(ROOT, 'package-lock.json')].filter((p) =>
    existsSync(p),
  );
  return statSync(index).mtimeMs >= Math.max(...inputs.map(newest));
}

/** Builds web/dist unless it is fresh (or `force`); a lock directory keeps parallel callers from racing. */
export async function ensureWebBuild({ force = false } = {}) {
  if (!force && webBuildIsFresh()) return;
  const lock = join(WEB, '.build-lock');
  for (let i = 0; ; i++) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (i > 600) throw new Error('timed out waiting for another web build');
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    // Vite loads only when there is something to build.
    if (force || !webBuildIsFresh()) await (await import('vite')).build({ configFile: join(WEB, 'vite.config.ts'), logLevel: 'error' });
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  await ensureWebBuild({ force: process.argv.includes('--force') });
