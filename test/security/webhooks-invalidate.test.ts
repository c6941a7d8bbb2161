import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SearchIndex } from '../../src/memory/search-index.js';
import { quantize } from '../../src/memory/vectors.js';
import { signatureHeader } from '../../src/security/webhooks/index.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-server.js';
import { startTestHearth, type TestHearth } from '../support/hearth.js';

const SYSTEM = { type: 'system' } as const;

/**
 * #15 invalidate: the signed `invalidate` webhook reaches the caches production has (HOOK-1). Each
 * test changes a row behind the service's back (as another replica or a restore does, keeping the
 * row's version stamp), shows the stale answer, then sends a real signed delivery over HTTP.
 */
describe('#15 invalidate: the signed invalidate webhook drops production caches (HOOK-1)', () => {
  let t: TestHearth;
  let a: FakeOpenAI;
  let b: FakeOpenAI;
  let url: string;
  let secret: string;

  beforeAll(async () => {
    a = await startFakeOpenAI({ models: ['model-of-a'] });
    b = await startFakeOpenAI({ models: ['model-of-b'] });
    t = await startTestHearth();
    secret = await t.hearth.webhooks.createSecret('invalidate');
    url = await t.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await t?.close();
    await a?.close();
    await b?.close();
  });

  const invalidate = async (payload: Record<string, unknown>) => {
    const body = JSON.stringify(payload);
    const res = await fetch(`${url}/api/webhooks/invalidate`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'hearth-signature': signatureHeader(secret, body) },
    });
    expect(res.status).toBe(200);
    return (await res.json()) as { ok: boolean; invalidated: number };
  };

  it('#15 invalidate: a provider row changed elsewhere is used after a signed invalidate, without restart', async () => {
    const provider = await t.hearth.providers.create({ name: 'changing', baseUrl: a.url }, SYSTEM);
    expect(await t.hearth.providers.testConnection(provider.id)).toEqual({ ok: true, models: ['model-of-a'] });
    // Another replica (or a restore) points the row elsewhere; its updated_at stays as it was.
    await t.hearth.storage.db
      .withTables<{ providers: { id: string; base_url: string } }>()
      .updateTable('providers')
      .set({ base_url: b.url })
      .where('id', '=', provider.id)
      .execute();
    expect(await t.hearth.providers.testConnection(provider.id)).toEqual({ ok: true, models: ['model-of-a'] });
    // A scope that is not the providers' leaves the client alone.
    await invalidate({ scope: 'vectors' });
    expect(await t.hearth.providers.testConnection(provider.id)).toEqual({ ok: true, models: ['model-of-a'] });
    const answer = await invalidate({ scope: 'providers' });
    expect(answer.ok).toBe(true);
    expect(answer.invalidated).toBeGreaterThanOrEqual(2);
    expect(await t.hearth.providers.testConnection(provider.id)).toEqual({ ok: true, models: ['model-of-b'] });
  });

  it('#15 invalidate: a vector rewritten in place is searched anew after a signed invalidate (no scope = every cache)', async () => {
    const repo = t.hearth.memory.repo;
    // The repository's index (the plugin's own handle on it; the service's type does not show it).
    const index = (repo as typeof repo & { searchIndex: SearchIndex }).searchIndex;
    const memory = await repo.add({ userId: 'u-vec', familiarId: 'f-vec', text: 'a memory with a vector', provenance: 'person' });
    const row = await t.hearth.storage.db
      .withTables<{ memory_items: { id: string; seq: number } }>()
      .selectFrom('memory_items')
      .select('seq')
      .where('id', '=', memory.id)
      .executeTakeFirstOrThrow();
    const seq = Number(row.seq);
    const first = new Float32Array(32).fill(0).map((_, i) => (i < 16 ? 1 : 0));
    const second = new Float32Array(32).fill(0).map((_, i) => (i < 16 ? 0 : 1));
    await index.putVector(seq, 'u-vec', first);
    expect((await index.nearest({ userId: 'u-vec' }, first, 5))[0]?.score).toBeCloseTo(1, 2);
    // Re-embedded by another replica's worker: same seq, new data.
    await t.hearth.storage.db
      .withTables<{ memory_vectors: { seq: number; data: Buffer } }>()
      .updateTable('memory_vectors')
      .set({ data: Buffer.from(quantize(second).buffer) })
      .where('seq', '=', seq)
      .execute();
    expect((await index.nearest({ userId: 'u-vec' }, second, 5))[0]?.score).toBeCloseTo(0, 2);
    await invalidate({});
    expect((await index.nearest({ userId: 'u-vec' }, second, 5))[0]?.score).toBeCloseTo(1, 2);
  });
  it('#15 invalidate: channel settings changed elsewhere (an allowlist) are used after a signed invalidate', async () => {
    const channels = t.hearth.channels;
    await channels.start();
    const before = channels.rules('telegram').allowedIds;
    // Written straight to the row, as another replica's dashboard would: this process's copy is stale.
    await channels.settings.put('telegram', { allowedIds: ['4242'], guildIds: [], pairing: false });
    expect(channels.rules('telegram').allowedIds).toEqual(before);
    expect((await invalidate({ scope: 'settings' })).invalidated).toBeGreaterThan(0);
    expect(channels.rules('telegram').allowedIds).toContain('4242');
    expect(channels.rules('telegram').pairing).toBe(false);
  });
});
