import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { startBudgetWorld, type BudgetWorld } from './world.js';

/** `hearth ARGS` in this process, against the world's data directory (its Hearth is open beside it, as a running server is). */
async function hearth(w: BudgetWorld, ...args: string[]) {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (c: Buffer) => (stdout += c.toString()));
  err.on('data', (c: Buffer) => (stderr += c.toString()));
  const stdin = new PassThrough();
  stdin.end();
  const code = await runCli(args, {
    stdout: out,
    stderr: err,
    stdin,
    env: { HEARTH_DATA_DIR: w.t.dataDir, HEARTH_LOG_LEVEL: 'error' },
    cwd: w.t.dataDir,
  });
  return { code, stdout, stderr };
}

describe('#22 budgets: the hearth budgets command', () => {
  let w: BudgetWorld;
  beforeAll(async () => {
    w = await startBudgetWorld();
  });
  afterAll(async () => {
    await w.close();
  });

  it('#22 budgets: hearth budgets set --person NAME [--familiar SLUG] --tokens-per-day N, and show NAME', async () => {
    const set = await hearth(w, 'budgets', 'set', '--person', 'alice', '--tokens-per-day', '5000', '--tokens-per-month', '90000');
    expect(set).toMatchObject({ code: 0 });
    expect((await hearth(w, 'budgets', 'set', '--person', 'alice', '--familiar', 'ember', '--tokens-per-day', '1')).code).toBe(0);
    const shown = await hearth(w, 'budgets', 'show', 'alice');
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^Yours today: 5,000 of 5,000 tokens left/m);
    expect(shown.stdout).toMatch(/^Yours this month: 90,000 of 90,000 tokens left/m);
    // The limit with ember is held by the running Hearth too.
    expect((await w.chat(w.alice.key)).status).toBe(429);
    expect((await hearth(w, 'budgets', 'set', '--person', 'alice', '--familiar', 'ember', '--tokens-per-day', 'none')).code).toBe(0);
    expect((await w.chat(w.alice.key)).status).toBe(200);
  });

  it('#22 budgets: bad input gets a clear usage error', async () => {
    expect(await hearth(w, 'budgets', 'set', '--person', 'alice', '--tokens-per-day', '-3')).toMatchObject({ code: 2 });
    expect((await hearth(w, 'budgets', 'set', '--person', 'alice')).stderr).toMatch(/name at least one limit/);
    expect((await hearth(w, 'budgets', 'show', 'nobody')).stderr).toMatch(/no user named nobody/);
    expect((await hearth(w, 'budgets', 'set', '--bogus')).code).toBe(2);
  });
});
