import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';

// Built to web/dist and served by Hearth under a strict CSP: no inline scripts or styles,
// nothing inlined as data: URIs, no module-preload polyfill.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [preact({ prefreshEnabled: false, devToolsEnabled: false })],
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    target: 'es2022',
    sourcemap: false,
  },
  // The hands-free mode's voice-activity worker (web/src/voice/vad-worker.ts) under a fixed name in
  // voice/vad/: Hearth serves that file with the one CSP that allows WebAssembly (src/voice/routes/vad-assets.ts).
  worker: {
    format: 'es',
    rollupOptions: {
      output: {
        entryFileNames: 'voice/vad/[name].js',
        chunkFileNames: 'voice/vad/[name]-[hash].js',
        assetFileNames: 'voice/vad/[name]-[hash][extname]',
      },
    },
  },
  server: { proxy: { '/api': 'http://127.0.0.1:8787', '/v1': 'http://127.0.0.1:8787' } },
});
