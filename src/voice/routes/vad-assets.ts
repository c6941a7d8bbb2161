import { createReadStream, existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { AppError, type RouteModule } from '../../core/index.js';
import { policy } from '../../server/index.js';

/** Where the browser's voice-activity detection (the web chat's hands-free mode) finds its files. */
const VAD_ASSET_PATH = '/voice/vad/';

/**
 * The only files served, by name: the silero models @ricky0123/vad-web ships, its audio worklet,
 * and onnxruntime-web's single-threaded-capable WebAssembly build and its loader. Served by Hearth
 * itself (no CDN: the CSP allows only 'self').
 */
const FILES: Record<string, { pkg: 'vad' | 'ort' | 'web'; type: string }> = {
  // The hands-free mode's worker, built by Vite into web/dist/voice/vad/ (web/vite.config.ts).
  'vad-worker.js': { pkg: 'web', type: 'text/javascript; charset=utf-8' },
  'silero_vad_legacy.onnx': { pkg: 'vad', type: 'application/octet-stream' },
  'silero_vad_v5.onnx': { pkg: 'vad', type: 'application/octet-stream' },
  'vad.worklet.bundle.min.js': { pkg: 'vad', type: 'text/javascript; charset=utf-8' },
  'ort-wasm-simd-threaded.wasm': { pkg: 'ort', type: 'application/wasm' },
  'ort-wasm-simd-threaded.mjs': { pkg: 'ort', type: 'text/javascript; charset=utf-8' },
};

const params = z.strictObject({ file: z.string().min(1).max(100) });

/**
 * The worker's own CSP: the page's policy plus `'wasm-unsafe-eval'` (compiling WebAssembly, not
 * JavaScript `eval`), so the model runs in this worker only and the page keeps its strict policy. A
 * dedicated worker loaded from a URL takes the policy its own response carries.
 */
const VAD_WORKER_CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The web app's build (as src/webapp/serve.ts finds it). */
const WEB_VAD_DIR = resolve(fileURLToPath(new URL('../../../web/dist/voice/vad', import.meta.url)));

/** The packages' dist folders, found through Node's resolution (undefined when a package is not installed). */
function distDirs(): Record<'vad' | 'ort' | 'web', string | undefined> {
  const require = createRequire(import.meta.url);
  const dir = (name: string) => {
    try {
      return dirname(require.resolve(name));
    } catch {
      return undefined;
    }
  };
  return { vad: dir('@ricky0123/vad-web'), ort: dir('onnxruntime-web'), web: WEB_VAD_DIR };
}

/**
 * The voice-activity detection's model and runtime, from node_modules, through one narrow route:
 * a fixed list of names (no paths, nothing else of the packages), public like the web app's own
 * assets, revalidated daily (the names carry no version).
 */
export function vadAssetRoutes(): RouteModule {
  return async (app) => {
    const dirs = distDirs();
    app.get(
      `${VAD_ASSET_PATH}:file`,
      { config: { policy: policy.public('voice-activity model and runtime for the web chat') }, schema: { params } },
      async (request, reply) => {
        const entry = Object.hasOwn(FILES, request.params.file) ? FILES[request.params.file] : undefined;
        const dir = entry ? dirs[entry.pkg] : undefined;
        const path = dir ? join(dir, request.params.file) : undefined;
        if (!entry || !path || !existsSync(path)) throw new AppError('NOT_FOUND', 'Not found');
        if (entry.pkg === 'web') void reply.header('content-security-policy', VAD_WORKER_CSP);
        return reply
          .header('content-type', entry.type)
          .header('content-length', statSync(path).size)
          .header('cache-control', entry.pkg === 'web' ? 'no-cache' : 'public, max-age=86400')
          .header('x-content-type-options', 'nosniff')
          .send(createReadStream(path));
      },
    );
  };
}
