// Builds web/dist only when it is missing or older than what it is built from (web/src,
// web/index.html, the Vite config, the lockfile). `npm start` runs it first (prestart), and the
// browser tests call ensureWebBuild() when one file is run alone.
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const WEB = join(ROOT, 'web');

function newest(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let out = 0;
  for (const name of readdirSync(path)) out = Math.max(out, newest(join(path, name)));
  return out;
}

/** True when web/dist/index.html is at least as new as every input of the build. */
export function webBuildIsFresh(): boolean {
  const index = join(WEB, 'dist', 'index.html');
  if (!existsSync(index)) return false;
  const inputs = [join(WEB, 'src'), join(WEB, 'index.html'), join(WEB, 'vite.config.ts'), join(ROOT, 'package-lock.json')].filter((p) =>
    existsSync(p),
  );
  return statSync(index).mtimeMs >= Math.max(...inputs.map(newest));
}

/** Builds web/dist unless it is fresh; a lock directory keeps parallel callers from racing. */
export async function ensureWebBuild(): Promise<void> {
  if (webBuildIsFresh()) return;
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
    if (!webBuildIsFresh()) await (await import('vite')).build({ configFile: join(WEB, 'vite.config.ts'), logLevel: 'error' });
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await ensureWebBuild();
