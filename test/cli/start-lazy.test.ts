import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startHearthProcess } from '../support/cli.js';
import { tempDir } from '../support/databases.js';

const TRACER = pathToFileURL(join(import.meta.dirname, '../support/module-trace.mjs')).href;

/** Libraries that only a configured channel, voice in a channel, MCP or PostgreSQL needs. */
const HEAVY = ['grammy', 'discord.js', '@discordjs/', '@twurple/', 'opusscript', 'onnxruntime-web', 'pg-boss', '@modelcontextprotocol/'];

describe('hearth start loads only what is configured (issue #17)', () => {
  const stops: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop();
  });

  it('with no channel, MCP server or PostgreSQL configured, no channel, voice-channel, MCP or job-queue library is loaded', async () => {
    const dir = tempDir();
    const trace = join(dir, 'modules.txt');
    const proc = await startHearthProcess({
      cwd: dir,
      env: { HEARTH_DATA_DIR: dir, NODE_OPTIONS: `--import=${TRACER}`, HEARTH_TEST_MODULE_TRACE: trace },
    });
    stops.push(async () => {
      const exited = new Promise((r) => proc.child.once('exit', r));
      proc.child.kill('SIGTERM');
      await exited;
    });
    expect((await fetch(`${proc.url}/api/health`)).status).toBe(200);
    expect(existsSync(trace)).toBe(true);
    const loaded = readFileSync(trace, 'utf8').split('\n');
    // the tracer sees Hearth's own entry and the packages it loads from node_modules (it works),
    // and none of the heavy libraries
    expect(loaded.some((url) => /\/(dist\/cli\/main\.js|src\/cli\/main\.ts)$/.test(url))).toBe(true);
    expect(loaded.some((url) => url.includes('/node_modules/better-sqlite3/'))).toBe(true);
    const heavy = loaded.filter((url) => HEAVY.some((name) => url.includes(`/node_modules/${name}`)));
    expect([...new Set(heavy)]).toEqual([]);
    // dist/ bundles some packages in (scripts/build.mjs): the tracer would not see a heavy one
    // there, so none of them may be in the bundle that ran (its source maps list every input)
    if (loaded.some((url) => url.endsWith('/dist/cli/main.js'))) {
      const dist = resolve('dist');
      const inputs = readdirSync(dist, { recursive: true, encoding: 'utf8' })
        .filter((file) => file.endsWith('.js.map'))
        .flatMap((file) => (JSON.parse(readFileSync(join(dist, file), 'utf8')) as { sources: string[] }).sources);
      expect(inputs.some((source) => source.includes('/src/server/app.ts'))).toBe(true);
      expect([...new Set(inputs.filter((source) => HEAVY.some((name) => source.includes(`node_modules/${name}`))))]).toEqual([]);
    }
  });
});
