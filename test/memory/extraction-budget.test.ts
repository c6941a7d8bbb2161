import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newConversation, startChatWorld, type ChatWorld } from '../companions/helpers.js';

/** The extraction call is told apart from the turn by its system prompt. */
const isExtraction = (body: Record<string, unknown>) => JSON.stringify(body.messages ?? '').includes('long-term memory of one person');

interface Line {
  scope: string;
  period: string;
  used: { tokens: number };
}

describe('#21 automatic memory is charged to budgets (MEM-2, #22)', () => {
  let w: ChatWorld;
  beforeEach(async () => {
    w = await startChatWorld();
    const r = await w.t.app.inject({
      method: 'PATCH',
      url: `/api/familiars/${w.familiarId}`,
      headers: w.auth(w.admin.key),
      payload: { memoryExtraction: 'on' },
    });
    expect(r.statusCode, r.body).toBe(200);
  });
  afterEach(async () => w?.close());

  const setBudget = async (body: Record<string, unknown>) => {
    const r = await w.t.app.inject({ method: 'PUT', url: '/api/budgets', headers: w.auth(w.admin.key), payload: body });
    expect(r.statusCode, r.body).toBe(200);
  };
  const lines = async () => {
    const r = await w.t.app.inject({
      method: 'GET',
      url: `/api/budgets/people/${w.alice.id}?familiarId=${w.familiarId}`,
      headers: w.auth(w.admin.key),
    });
    expect(r.statusCode, r.body).toBe(200);
    return (r.json() as { lines: Line[] }).lines;
  };
  const used = (all: Line[], scope: string, period = 'day') => all.find((l) => l.scope === scope && l.period === period)!.used.tokens;
  const say = async (text: string) => {
    const c = await newConversation(w, w.alice.key);
    const r = await w.t.app.inject({
      method: 'POST',
      url: `/api/conversations/${c}/messages`,
      headers: w.auth(w.alice.key),
      payload: { text },
    });
    expect(r.statusCode, r.body).toBe(200);
    await w.t.hearth.memory.extractor.drain();
  };

  it('#21 extraction budget: the extraction call’s reported usage is charged exactly to the person, the person with the familiar and the familiar', async () => {
    await setBudget({ userId: w.alice.id, tokensPerDay: 100_000, tokensPerMonth: 1_000_000 });
    await setBudget({ userId: w.alice.id, familiarId: w.familiarId, tokensPerDay: 100_000 });
    await setBudget({ familiarId: w.familiarId, tokensPerDay: 100_000 });
    w.fake.route = (body) =>
      isExtraction(body)
        ? { text: '{"facts":[{"text":"Alice grows tomatoes.","replaces":null}]}', usage: { prompt: 321, completion: 54 } }
        : { text: 'Lovely!', usage: { prompt: 20, completion: 7 } };
    await say('I grow tomatoes on my balcony.');
    expect(w.fake.requests.filter((r) => isExtraction(r.body))).toHaveLength(1);
    expect((await w.t.hearth.memory.repo.list({ userId: w.alice.id, kinds: ['memory'] })).map((m) => m.text)).toEqual([
      'Alice grows tomatoes.',
    ]);
    const all = await lines();
    // The turn (20 + 7) and the extraction (321 + 54), exactly as the provider reported them.
    for (const scope of ['person', 'person_familiar', 'familiar']) expect(used(all, scope)).toBe(27 + 375);
    expect(used(all, 'person', 'month')).toBe(27 + 375);
  });

  it('#21 extraction budget: with the budget spent the extraction is skipped (no model call, not queued again) and the skip is recorded', async () => {
    await setBudget({ userId: w.alice.id, tokensPerDay: 5_000 });
    // The turn's reservation passes; its reported usage then spends the day's budget.
    w.fake.route = (body) =>
      isExtraction(body)
        ? { text: '{"facts":[{"text":"Alice is tired.","replaces":null}]}' }
        : { text: 'Rest well.', usage: { prompt: 4_990, completion: 10 } };
    await say('Long day at work, I am exhausted.');
    expect(w.fake.requests.filter((r) => isExtraction(r.body))).toHaveLength(0);
    expect(await w.t.hearth.memory.repo.list({ userId: w.alice.id, kinds: ['memory'] })).toEqual([]);
    // Nothing waits for the reset: the job is gone, and another drain calls nothing.
    expect(await w.t.hearth.memory.extractor.drain()).toBe(0);
    expect(w.fake.requests.filter((r) => isExtraction(r.body))).toHaveLength(0);
    const skipped = await w.t.hearth.audit.list({ action: 'memory.extraction_skipped' });
    expect(skipped[0]).toMatchObject({
      outcome: 'denied',
      details: { personId: w.alice.id, familiarId: w.familiarId, reason: 'BUDGET_EXCEEDED' },
    });
    const refused = await w.t.hearth.audit.list({ action: 'budget.refused' });
    expect(refused[0]).toMatchObject({ details: expect.objectContaining({ channel: 'memory-extraction', call: 'model' }) });
    expect(used(await lines(), 'person')).toBe(5_000);
  });
});
