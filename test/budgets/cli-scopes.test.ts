import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBudgetCli as hearth, startBudgetWorld, type BudgetWorld } from './world.js';

describe('#22 budgets: roles, familiar totals, money and prices from the command line', () => {
  let w: BudgetWorld;
  beforeAll(async () => {
    w = await startBudgetWorld();
  });
  afterAll(async () => {
    await w.close();
  });

  it('#22 budgets: --role member sets the members’ default; a person’s own row replaces it', async () => {
    expect(await hearth(w, 'budgets', 'set', '--role', 'member', '--tokens-per-day', '1')).toMatchObject({
      code: 0,
      stdout: 'budget set for the member role\n',
    });
    expect((await w.chat(w.alice.key)).status).toBe(429);
    expect((await w.chat(w.admin.key)).status).toBe(200); // admins have their own role row (none)
    expect((await hearth(w, 'budgets', 'set', '--person', 'alice', '--tokens-per-day', '100000')).code).toBe(0);
    expect((await w.chat(w.alice.key)).status).toBe(200);
    expect((await w.chat(w.bob.key)).status).toBe(429);
    expect((await hearth(w, 'budgets', 'set', '--role', 'member', '--tokens-per-day', 'none')).code).toBe(0);
    expect((await w.chat(w.bob.key)).status).toBe(200);
  });

  it('#22 budgets: --familiar SLUG alone limits the familiar’s total over everyone (not the owner)', async () => {
    expect((await hearth(w, 'budgets', 'set', '--familiar', 'ember', '--tool-calls-per-day', '3', '--tokens-per-month', '1')).code).toBe(0);
    const limits = (await w.t.hearth.budgets.listLimits()).find((l) => l.scope.kind === 'familiar');
    expect(limits?.limits).toMatchObject({ tokensPerMonth: 1, toolCallsPerDay: 3, tokensPerDay: null });
    expect((await w.chat(w.bob.key)).status).toBe(429);
    expect((await w.chat(w.owner.key)).status).toBe(200);
    // a limit not named keeps its value
    expect((await hearth(w, 'budgets', 'set', '--familiar', 'ember', '--tokens-per-month', 'none')).code).toBe(0);
    expect((await w.t.hearth.budgets.listLimits()).find((l) => l.scope.kind === 'familiar')?.limits.toolCallsPerDay).toBe(3);
    expect((await w.chat(w.bob.key)).status).toBe(200);
  });

  it('#22 budgets: a money limit without a price fails closed; with a price it counts; list shows rows and prices', async () => {
    expect((await hearth(w, 'budgets', 'set', '--person', 'bob', '--cost-per-day', '0.50')).code).toBe(0);
    const unpriced = await w.chat(w.bob.key);
    expect(unpriced.status).toBe(429);
    expect(JSON.stringify(unpriced.body)).toContain('BUDGET_UNPRICED');
    expect(await hearth(w, 'budgets', 'price', 'fake-model', '--input', '1', '--output', '2')).toMatchObject({
      code: 0,
      stdout: 'price set for fake-model\n',
    });
    expect((await w.chat(w.bob.key)).status).toBe(200);
    const listed = await hearth(w, 'budgets', 'list');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain('person bob: cost/day 0.50');
    expect(listed.stdout).toContain('familiar ember: tool calls/day 3');
    expect(listed.stdout).toContain('price fake-model: input 1.00, output 2.00 per million tokens');
    expect((await hearth(w, 'budgets', 'price', 'fake-model', 'none')).stdout).toBe('price removed for fake-model\n');
    expect((await w.t.hearth.budgets.listPrices()).length).toBe(0);
    const audited = await w.t.hearth.audit.list({ action: 'budget.price' });
    expect(audited.length).toBe(2);
  });

  it('#22 budgets: bad scopes and amounts get a clear usage error and change nothing', async () => {
    const before = await w.t.hearth.budgets.listLimits();
    expect(await hearth(w, 'budgets', 'set', '--role', 'owner', '--tokens-per-day', '5')).toMatchObject({ code: 2 });
    expect((await hearth(w, 'budgets', 'set', '--role', 'member', '--person', 'alice', '--tokens-per-day', '5')).code).toBe(2);
    expect((await hearth(w, 'budgets', 'set', '--role', 'member', '--familiar', 'ember', '--tokens-per-day', '5')).code).toBe(2);
    expect((await hearth(w, 'budgets', 'set', '--person', 'bob', '--cost-per-day', '1e9')).stderr).toMatch(
      /--cost-per-day must be an amount/,
    );
    expect((await hearth(w, 'budgets', 'set', '--person', 'bob', '--cost-per-day', '-1')).code).toBe(2);
    expect((await hearth(w, 'budgets', 'set', '--familiar', 'nope', '--tokens-per-day', '5')).stderr).toMatch(/no familiar nope/);
    expect((await hearth(w, 'budgets', 'price', 'fake-model', '--input', '1')).code).toBe(2);
    expect((await hearth(w, 'budgets', 'price')).code).toBe(2);
    expect(await w.t.hearth.budgets.listLimits()).toEqual(before);
  });
});
