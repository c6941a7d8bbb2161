import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHearth, type TestHearth } from '../support/hearth.js';

const require = createRequire(import.meta.url);
const vadDist = dirname(require.resolve('@ricky0123/vad-web'));
const ortDist = dirname(require.resolve('onnxruntime-web'));

describe('#18 voice: Hearth serves the browser VAD’s model and runtime itself, through one narrow route (CH-5, HTTP-1)', () => {
  let t: TestHearth;
  beforeAll(async () => {
    t = await startTestHearth();
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  it('#18 voice: the silero models, the worklet and the onnxruntime WebAssembly are served, byte for byte, with their types, to anyone', async () => {
    for (const [file, dir, type] of [
      ['silero_vad_legacy.onnx', vadDist, 'application/octet-stream'],
      ['silero_vad_v5.onnx', vadDist, 'application/octet-stream'],
      ['vad.worklet.bundle.min.js', vadDist, 'text/javascript; charset=utf-8'],
      ['ort-wasm-simd-threaded.wasm', ortDist, 'application/wasm'],
      ['ort-wasm-simd-threaded.mjs', ortDist, 'text/javascript; charset=utf-8'],
    ] as const) {
      const r = await t.app.inject({ method: 'GET', url: `/voice/vad/${file}` });
      expect(r.statusCode, file).toBe(200);
      expect(r.headers['content-type']).toBe(type);
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(r.rawPayload.equals(readFileSync(join(dir, file)))).toBe(true);
    }
    const wasm = await t.app.inject({ method: 'GET', url: '/voice/vad/ort-wasm-simd-threaded.wasm' });
    expect(wasm.rawPayload.subarray(0, 4).toString('latin1')).toBe('\0asm');
  });

  it('#18 voice: only the built VAD worker carries the policy that allows WebAssembly; the model and runtime files do not', async () => {
    for (const file of ['silero_vad_legacy.onnx', 'ort-wasm-simd-threaded.wasm', 'ort-wasm-simd-threaded.mjs']) {
      const r = await t.app.inject({ method: 'GET', url: `/voice/vad/${file}` });
      expect(String(r.headers['content-security-policy']), file).not.toContain('wasm-unsafe-eval');
    }
    const worker = join(fileURLToPath(new URL('../../web/dist/voice/vad/vad-worker.js', import.meta.url)));
    const r = await t.app.inject({ method: 'GET', url: '/voice/vad/vad-worker.js' });
    if (!existsSync(worker)) return expect(r.statusCode).toBe(404); // the web app is not built
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(r.headers['cache-control']).toBe('no-cache');
    const csp = String(r.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
    expect(csp).not.toMatch(/unsafe-inline|'unsafe-eval'|\*/);
    expect(csp).toContain("default-src 'self'");
  });

  it('#18 voice: nothing else of the packages, and no path out of them', async () => {
    for (const url of [
      '/voice/vad/package.json',
      '/voice/vad/index.js',
      '/voice/vad/ort.all.min.mjs', // in onnxruntime-web's dist, but not on the list
      '/voice/vad/..%2Fpackage.json',
      '/voice/vad/..%2F..%2F..%2Fpackage.json',
      '/voice/vad/%2e%2e/%2e%2e/package.json',
      '/voice/vad/toString',
      '/voice/vad/__proto__',
    ]) {
      const r = await t.app.inject({ method: 'GET', url });
      // Refused, or (a path the route does not match) the web app's own page when it is built: never a package's file.
      if (r.statusCode === 200) expect(r.headers['content-type'], url).toMatch(/^text\/html/);
      else expect(r.statusCode, url).toBe(404);
      expect(r.body, url).not.toContain('onnxruntime');
    }
  });
});
