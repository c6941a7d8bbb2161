import { afterEach, describe, expect, it } from 'vitest';
import type { Kysely } from 'kysely';
import { createLedger } from '../../src/budgets/ledger.js';
import type { BudgetTables } from '../../src/budgets/migrations.js';
import { DATABASE_KINDS, openTestStorage, type TestStorage } from '../support/databases.js';

describe.each(DATABASE_KINDS)('#22 budgets: the ledger (%s)', (kind) => {
  let s: TestStorage | undefined;
  afterEach(async () => {
    await s?.cleanup();
    s = undefined;
  });
  const ledgerOn = async () => {
    s = await openTestStorage(kind);
    return createLedger(s.storage.db.withTables<BudgetTables>() as unknown as Kysely<BudgetTables>, () => Date.now());
  };

  it('#22 budgets: 20 concurrent reservations against a limit admit exactly what fits, on every counter or none', async () => {
    const ledger = await ledgerOn();
    const charges = [
      { counter: 'u:p', period: 'd:2026-12-01', limit: { tokens: 750 } },
      { counter: 'uf:p:f', period: 'd:2026-12-01', limit: {} },
      { counter: 'f:f', period: 'm:2026-12', limit: { tokens: 10_000 } },
    ];
    const results = await Promise.all(Array.from({ length: 20 }, () => ledger.reserve(charges, { tokens: 100, cost: 0, toolCalls: 0 })));
    expect(results.filter((r) => r === undefined)).toHaveLength(7);
    expect(results.find((r) => r !== undefined)).toMatchObject({ charge: { counter: 'u:p' }, dimension: 'tokens' });
    const held = await ledger.read(charges);
    // The refused 13 left nothing behind on the counters that had room.
    expect([...charges].map((c) => held.get(`${c.counter}|${c.period}`)?.tokens)).toEqual([700, 700, 700]);
  });

  it('#22 budgets: a settlement brings a reservation to the real usage, and a spent token budget does not block a tool call', async () => {
    const ledger = await ledgerOn();
    const charges = [{ counter: 'u:p', period: 'd:2026-12-01', limit: { tokens: 500, toolCalls: 2 } }];
    expect(await ledger.reserve(charges, { tokens: 400, cost: 0, toolCalls: 0 })).toBeUndefined();
    await ledger.settle(charges, { tokens: 120 - 400, cost: 0, toolCalls: 0 });
    expect((await ledger.read(charges)).get('u:p|d:2026-12-01')?.tokens).toBe(120);
    expect(await ledger.reserve(charges, { tokens: 381, cost: 0, toolCalls: 0 })).toMatchObject({ dimension: 'tokens' });
    expect(await ledger.reserve(charges, { tokens: 380, cost: 0, toolCalls: 0 })).toBeUndefined();
    expect(await ledger.reserve(charges, { tokens: 0, cost: 0, toolCalls: 1 })).toBeUndefined();
    expect(await ledger.reserve(charges, { tokens: 0, cost: 0, toolCalls: 1 })).toBeUndefined();
    expect(await ledger.reserve(charges, { tokens: 0, cost: 0, toolCalls: 1 })).toMatchObject({ dimension: 'toolCalls' });
  });
  it('#22 budgets: a call beyond a limit on a counter not yet used is refused in that dimension, and leaves no counter behind', async () => {
    const ledger = await ledgerOn();
    const charges = [
      { counter: 'f:f', period: 'd:2026-12-01', limit: {} },
      { counter: 'u:q', period: 'd:2026-12-01', limit: { tokens: 1_000, cost: 50 } },
    ];
    expect(await ledger.reserve(charges, { tokens: 10, cost: 51, toolCalls: 0 })).toMatchObject({
      charge: { counter: 'u:q' },
      dimension: 'cost',
    });
    // The unlimited counter, written before the limited one in lock order, was rolled back with it.
    expect((await ledger.read(charges)).size).toBe(0);
    expect(await ledger.reserve(charges, { tokens: 10, cost: 50, toolCalls: 0 })).toBeUndefined();
    expect(await ledger.reserve(charges, { tokens: 10, cost: 1, toolCalls: 0 })).toMatchObject({ dimension: 'cost' });
    const held = await ledger.read(charges);
    expect(held.get('u:q|d:2026-12-01')).toEqual({ tokens: 10, cost: 50, toolCalls: 0 });
    expect(held.get('f:f|d:2026-12-01')).toEqual({ tokens: 10, cost: 50, toolCalls: 0 });
  });

  it('#22 budgets: without limits every counter counts each reservation and settlement, new and existing counters alike', async () => {
    const ledger = await ledgerOn();
    const charges = ['u:p', 'uf:p:f', 'f:f'].flatMap((counter) =>
      ['d:2026-12-01', 'm:2026-12'].map((period) => ({ counter, period, limit: {} })),
    );
    for (let i = 0; i < 3; i++) {
      expect(await ledger.reserve(charges, { tokens: 100, cost: 7, toolCalls: 1 })).toBeUndefined();
      await ledger.settle(charges, { tokens: -40, cost: -2, toolCalls: 0 });
    }
    // A counter first used later starts at what that call adds.
    const later = [...charges, { counter: 'u:other', period: 'd:2026-12-01', limit: {} }];
    expect(await ledger.reserve(later, { tokens: 1, cost: 0, toolCalls: 0 })).toBeUndefined();
    const held = await ledger.read(later);
    for (const c of charges) expect(held.get(`${c.counter}|${c.period}`)).toEqual({ tokens: 181, cost: 15, toolCalls: 3 });
    expect(held.get('u:other|d:2026-12-01')).toEqual({ tokens: 1, cost: 0, toolCalls: 0 });
  });
});
