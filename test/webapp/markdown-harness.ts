import { join } from 'node:path';
import { build, type Rollup } from 'vite';
import { WEB } from './support.js';

/**
 * Bundles the app's own web/src/markdown.ts (the one renderer the chat uses) into a script that
 * a test evaluates in the page, so the sanitizer is attacked in the real browser under the real CSP.
 */
export async function markdownBundle(): Promise<string> {
  const out = (await build({
    configFile: false,
    logLevel: 'error',
    root: WEB,
    build: {
      write: false,
      minify: false,
      lib: { entry: join(WEB, 'src/markdown.ts'), formats: ['iife'], name: 'HearthMarkdown' },
    },
  })) as Rollup.RollupOutput[] | Rollup.RollupOutput;
  const outputs = Array.isArray(out) ? out : [out];
  const chunk = outputs.flatMap((o) => o.output).find((o): o is Rollup.OutputChunk => o.type === 'chunk');
  if (!chunk) throw new Error('markdown bundle produced no code');
  return `${chunk.code}\nwindow.HearthMarkdown = HearthMarkdown;`;
}
