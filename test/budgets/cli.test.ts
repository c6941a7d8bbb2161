import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBudgetCli as hearth, startBudgetWorld, type BudgetWorld } from './world.js';

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
