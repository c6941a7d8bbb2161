import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_KINDS } from '../support/databases.js';
import { startBudgetWorld, type BudgetWorld } from './world.js';

interface Line {
  scope: string;
  period: string;
  used: { tokens: number; cost: number; toolCalls: number };
  remaining: { tokens?: number; cost?: number };
  resetsAt: string;
}

const chatCalls = (w: BudgetWorld) => w.fake.requests.filter((r) => r.path === '/v1/chat/completions').length;

async function myStatus(w: BudgetWorld, key: string) {
  const r = await w.t.app.inject({ method: 'GET', url: `/api/budgets/me?familiarId=${w.familiarId}`, headers: w.auth(key) });
  expect(r.statusCode).toBe(200);
  return { body: r.json() as { exempt: boolean; lines: Line[] }, headers: r.headers };
}

/** `budget.refused` entries, newest first. */
async function refusals(w: BudgetWorld) {
  const r = await w.t.app.inject({ method: 'GET', url: '/api/audit?action=budget.refused', headers: w.auth(w.owner.key) });
  return (r.json() as { entries: Array<{ outcome: string; target: string; details: Record<string, unknown> }> }).entries;
}

describe('#22 budgets over HTTP (sqlite)', () => {
  let w: BudgetWorld;
  beforeAll(async () => {
    w = await startBudgetWorld();
  });
  afterAll(async () => {
    await w.close();
  });
  afterEach(async () => {
    // Each test sets what it needs; the limits of the one before are removed.
    const r = await w.t.app.inject({ method: 'GET', url: '/api/budgets', headers: w.auth(w.admin.key) });
    for (const l of (r.json() as { limits: Array<{ scope: Record<string, string> }> }).limits) {
      const s = l.scope;
      const body =
        s.kind === 'role'
          ? { role: s.role }
          : s.kind === 'familiar'
            ? { familiarId: s.familiarId }
            : { userId: s.userId, familiarId: s.familiarId };
      await w.setBudget({ ...body, tokensPerDay: null });
    }
    w.fake.script.length = 0;
  });

  it('#22 budgets: usage figures match the provider’s reported usage exactly, and the answer carries X-Hearth-Budget-* headers', async () => {
    expect(await w.setBudget({ userId: w.bob.id, tokensPerDay: 100_000, tokensPerMonth: 1_000_000 })).toBe(200);
    const before = (await myStatus(w, w.bob.key)).body.lines.find((l) => l.scope === 'person' && l.period === 'day')!.used.tokens;
    w.fake.script.push({ text: 'one', usage: { prompt: 123, completion: 45 } }, { text: 'two', usage: { prompt: 7, completion: 3 } });
    const a = await w.chat(w.bob.key);
    const b = await w.chat(w.bob.key);
    expect([a.status, b.status]).toEqual([200, 200]);
    const { body, headers } = await myStatus(w, w.bob.key);
    const day = body.lines.find((l) => l.scope === 'person' && l.period === 'day')!;
    const month = body.lines.find((l) => l.scope === 'person' && l.period === 'month')!;
    expect(day.used.tokens - before).toBe(123 + 45 + 7 + 3);
    expect(day.remaining.tokens).toBe(100_000 - day.used.tokens);
    expect(month.remaining.tokens).toBe(1_000_000 - month.used.tokens);
    // The tightest token limit is the day's; the chat answer says the same as /api/budgets/me.
    expect(headers['x-hearth-budget-tokens-remaining']).toBe(String(day.remaining.tokens));
    expect(b.headers['x-hearth-budget-tokens-remaining']).toBe(String(day.remaining.tokens));
    expect(b.headers['x-hearth-budget-tokens-limit']).toBe('100000');
    expect(Date.parse(String(b.headers['x-hearth-budget-tokens-reset']))).toBe(Date.parse(day.resetsAt));
    // The turn's own usage is the provider's too.
    expect(b.body.usage).toMatchObject({ promptTokens: 7, completionTokens: 3, estimated: false });
  });

  it('#22 budgets: a person at their limit gets 429 BUDGET_EXCEEDED with Retry-After, the provider is not called, and the refusal is audited', async () => {
    expect(await w.setBudget({ userId: w.alice.id, tokensPerDay: 600 })).toBe(200);
    w.fake.script.push({ text: 'big', usage: { prompt: 400, completion: 100 } });
    expect((await w.chat(w.alice.key)).status).toBe(200);
    const calls = chatCalls(w);
    const r = await w.chat(w.alice.key);
    expect(r.status).toBe(429);
    expect(r.body.code).toBe('BUDGET_EXCEEDED');
    expect(r.body.error).toMatch(/daily token budget is spent; it resets at \d{4}-\d{2}-\d{2} 00:00 UTC/);
    const retryAfter = Number(r.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(86_400);
    expect(chatCalls(w)).toBe(calls);
    const audited = (await refusals(w)).filter((e) => e.target === w.familiarId && e.details.scope === 'person');
    expect(audited[0]).toMatchObject({ outcome: 'denied', details: { period: 'day', dimension: 'tokens', channel: 'web' } });
    // Bob has no limit and is not affected.
    expect((await w.chat(w.bob.key)).status).toBe(200);
  });

  it('#22 budgets: the OpenAI endpoint refuses the same way (429, budget_exceeded, Retry-After) and carries the headers', async () => {
    expect(await w.setBudget({ userId: w.alice.id, tokensPerDay: 100_000 })).toBe(200);
    const ok = await w.t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: w.auth(w.alice.key),
      payload: { model: 'ember', messages: [{ role: 'user', content: 'hi' }] },
    });
    expect(ok.statusCode).toBe(200);
    expect(Number(ok.headers['x-hearth-budget-tokens-remaining'])).toBeLessThan(100_000);
    expect(await w.setBudget({ userId: w.alice.id, tokensPerDay: 1 })).toBe(200);
    const r = await w.t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: w.auth(w.alice.key),
      payload: { model: 'ember', messages: [{ role: 'user', content: 'hi' }] },
    });
    expect(r.statusCode).toBe(429);
    expect((r.json() as { error: { code: string; message: string } }).error).toMatchObject({ code: 'budget_exceeded' });
    expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('#22 budgets: a role default limits its members, the owner is exempt until they set a limit for themselves', async () => {
    expect(await w.setBudget({ role: 'member', tokensPerDay: 1 })).toBe(200);
    expect(await w.setBudget({ role: 'admin', tokensPerDay: 1 })).toBe(200);
    expect((await w.chat(w.bob.key)).status).toBe(429);
    expect((await w.chat(w.admin.key)).status).toBe(429);
    expect((await w.chat(w.owner.key)).status).toBe(200);
    expect((await myStatus(w, w.owner.key)).body).toMatchObject({ exempt: true, lines: [] });
    // A person's own limit comes before their role's.
    expect(await w.setBudget({ userId: w.bob.id, tokensPerDay: 100_000 })).toBe(200);
    expect((await w.chat(w.bob.key)).status).toBe(200);
    expect(await w.setBudget({ userId: w.owner.id, tokensPerDay: 1 })).toBe(200);
    expect((await w.chat(w.owner.key)).status).toBe(429);
  });

  it('#22 budgets: a familiar’s total and a person’s limit with one familiar are held too', async () => {
    expect(await w.setBudget({ familiarId: w.familiarId, tokensPerMonth: 1 })).toBe(200);
    const r = await w.chat(w.bob.key);
    expect(r.status).toBe(429);
    expect(r.body.error).toMatch(/This familiar’s monthly token budget is spent/);
    expect((await w.chat(w.owner.key)).status).toBe(200);
    await w.setBudget({ familiarId: w.familiarId, tokensPerMonth: null });
    expect(await w.setBudget({ userId: w.bob.id, familiarId: w.familiarId, tokensPerDay: 1 })).toBe(200);
    const s = await w.chat(w.bob.key);
    expect(s.status).toBe(429);
    expect(s.body.error).toMatch(/Your daily token budget with this familiar is spent/);
  });

  it('#22 budgets: a money limit refuses a model without a price (fails closed) and counts a priced one exactly', async () => {
    expect(await w.setBudget({ userId: w.bob.id, costPerDay: 5 })).toBe(200);
    const r = await w.chat(w.bob.key);
    expect(r.status).toBe(429);
    expect(r.body).toMatchObject({ code: 'BUDGET_EXCEEDED', details: { reason: 'BUDGET_UNPRICED' } });
    const price = await w.t.app.inject({
      method: 'PUT',
      url: '/api/budgets/prices',
      headers: w.auth(w.admin.key),
      payload: { model: 'fake-model', inputPerMTok: 3, outputPerMTok: 15 },
    });
    expect(price.statusCode).toBe(200);
    const before = (await myStatus(w, w.bob.key)).body.lines.find((l) => l.scope === 'person' && l.period === 'day')!.used.cost;
    w.fake.script.push({ text: 'priced', usage: { prompt: 1000, completion: 200 } });
    expect((await w.chat(w.bob.key)).status).toBe(200);
    const day = (await myStatus(w, w.bob.key)).body.lines.find((l) => l.scope === 'person' && l.period === 'day')!;
    // 1000 × 3/M + 200 × 15/M = 0.003 + 0.003
    expect(day.used.cost - before).toBeCloseTo(0.006, 9);
    expect(day.remaining.cost).toBeCloseTo(5 - day.used.cost, 9);
  });

  it('#22 budgets: a tool-call limit refuses the call past it (the model is told why) and audits it', async () => {
    const patch = await w.t.app.inject({
      method: 'PATCH',
      url: `/api/familiars/${w.familiarId}`,
      headers: w.auth(w.admin.key),
      payload: { allowedTools: ['notes_list'] },
    });
    expect(patch.statusCode).toBe(200);
    try {
      expect(await w.setBudget({ userId: w.bob.id, toolCallsPerDay: 1 })).toBe(200);
      const call = { toolCalls: [{ name: 'notes_list', arguments: '{}' }] };
      w.fake.script.push(call, { text: 'listed' }, call, { text: 'could not list' });
      expect((await w.chat(w.bob.key)).status).toBe(200);
      w.fake.requests.length = 0;
      expect((await w.chat(w.bob.key)).status).toBe(200);
      const last = w.fake.requests.at(-1)!.body as { messages: Array<{ role: string; content: string }> };
      expect(last.messages.find((m) => m.role === 'tool')?.content).toMatch(/daily tool-call budget is spent/);
      const day = (await myStatus(w, w.bob.key)).body.lines.find((l) => l.scope === 'person' && l.period === 'day')!;
      expect(day.used.toolCalls).toBe(1);
      expect((await refusals(w))[0]).toMatchObject({ details: { call: 'tool', dimension: 'toolCalls' } });
    } finally {
      await w.t.app.inject({
        method: 'PATCH',
        url: `/api/familiars/${w.familiarId}`,
        headers: w.auth(w.admin.key),
        payload: { allowedTools: [] },
      });
    }
  });

  it('#22 budgets: bad limits get a clear 400 naming the field, an unknown person 404, a member may not set budgets', async () => {
    const bad = await w.t.app.inject({
      method: 'PUT',
      url: '/api/budgets',
      headers: w.auth(w.admin.key),
      payload: { userId: w.bob.id, tokensPerDay: -5 },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'VALIDATION_FAILED', fields: ['body.tokensPerDay'] });
    expect(
      (await w.t.app.inject({ method: 'PUT', url: '/api/budgets', headers: w.auth(w.admin.key), payload: { tokensPerDay: 5 } })).statusCode,
    ).toBe(400);
    expect(await w.setBudget({ role: 'owner', tokensPerDay: 5 })).toBe(400);
    expect(await w.setBudget({ userId: 'nobody', tokensPerDay: 5 })).toBe(404);
    const member = await w.t.app.inject({
      method: 'PUT',
      url: '/api/budgets',
      headers: w.auth(w.alice.key),
      payload: { userId: w.alice.id, tokensPerDay: null },
    });
    expect(member.statusCode).toBe(403);
  });
});

describe('#22 budgets: period boundary', () => {
  it('#22 budgets: a spent daily budget is open again after the UTC day ends; the month keeps counting', async () => {
    const w = await startBudgetWorld();
    try {
      expect(await w.setBudget({ userId: w.alice.id, tokensPerDay: 600, tokensPerMonth: 1_000_000 })).toBe(200);
      w.fake.script.push({ text: 'big', usage: { prompt: 400, completion: 100 } });
      expect((await w.chat(w.alice.key)).status).toBe(200);
      const refused = await w.chat(w.alice.key);
      expect(refused.status).toBe(429);
      w.advance(Number(refused.headers['retry-after']) * 1000 + 1000);
      expect((await w.chat(w.alice.key)).status).toBe(200);
      const lines = (await myStatus(w, w.alice.key)).body.lines.filter((l) => l.scope === 'person');
      expect(lines.find((l) => l.period === 'day')!.used.tokens).toBe(70);
      // A day boundary may also be a month boundary; otherwise the month holds both turns.
      const month = lines.find((l) => l.period === 'month')!.used.tokens;
      expect([70, 570]).toContain(month);
    } finally {
      await w.close();
    }
  });
});

describe.each(DATABASE_KINDS)('#22 budgets: concurrency (%s)', (db) => {
  it('#22 budgets: 20 concurrent turns by one person near the limit never exceed it', async () => {
    const w = await startBudgetWorld({ db });
    try {
      // Every call waits, so all 20 reservations meet before any settles: only what fits is admitted.
      w.fake.fallback = { text: 'slow', usage: { prompt: 50, completion: 20 }, delayMs: 300 };
      const probe = await w.chat(w.bob.key);
      expect(probe.status).toBe(200);
      const limit = 1500;
      expect(await w.setBudget({ userId: w.alice.id, tokensPerDay: limit })).toBe(200);
      const results = await Promise.all(Array.from({ length: 20 }, () => w.chat(w.alice.key)));
      const ok = results.filter((r) => r.status === 200).length;
      const refused = results.filter((r) => r.status === 429 && r.body.code === 'BUDGET_EXCEEDED').length;
      expect(ok + refused).toBe(20);
      expect(ok).toBeGreaterThan(0);
      expect(refused).toBeGreaterThan(0);
      const day = (await myStatus(w, w.alice.key)).body.lines.find((l) => l.scope === 'person' && l.period === 'day')!;
      expect(day.used.tokens).toBe(ok * 70);
      expect(day.used.tokens).toBeLessThanOrEqual(limit);
    } finally {
      await w.close();
    }
  });
});
