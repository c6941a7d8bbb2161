import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
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
    // the tracer sees the server's own modules (it works), and none of the heavy libraries
    expect(loaded.some((url) => /\/(dist|src)\/server\/app\.(js|ts)$/.test(url))).toBe(true);
    const heavy = loaded.filter((url) => HEAVY.some((name) => url.includes(`/node_modules/${name}`)));
    expect([...new Set(heavy)]).toEqual([]);
  });
});
