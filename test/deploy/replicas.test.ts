import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-server.js';
import { signIn, startReplicaSet, type ReplicaSet } from '../support/replicas.js';

const RATE = 12;

/**
 * #19 acceptance: three `hearth start` processes on one PostgreSQL database and Redis, behind
 * nginx on loopback. Whatever a person does through one replica holds on the others.
 */
describe('three replicas behind nginx on PostgreSQL and Redis (#19)', () => {
  let set: ReplicaSet;
  let fake: FakeOpenAI;

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    set = await startReplicaSet({ count: 3, env: { HEARTH_RATE_ANON_PROBES: String(RATE) } });
  }, 240_000);
  afterAll(async () => {
    await set?.close();
    await fake?.close();
  }, 60_000);

  const call = (base: string, path: string, init: RequestInit & { headers?: Record<string, string> } = {}) =>
    fetch(`${base}${path}`, {
      ...init,
      headers: { origin: base, ...(init.body ? { 'content-type': 'application/json' } : {}), ...init.headers },
    });

  it('a session made through one replica works on every other', async () => {
    const [r1, r2, r3] = set.replicas;
    const auth = await signIn(r1!.url);
    for (const r of [r2!, r3!]) {
      const res = await call(r.url, '/api/auth/session', { headers: auth });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { user?: { name: string } }).user?.name).toBe('owner');
    }
    // Signed out on one replica: refused on all at once.
    expect((await call(r2!.url, '/api/auth/logout', { method: 'POST', headers: auth })).status).toBeLessThan(300);
    for (const r of set.replicas) {
      const res = await call(r.url, '/api/keys', { headers: auth });
      expect(res.status, r.id).toBe(401);
    }
  });

  it('an API key revoked on one replica fails on every replica at once', async () => {
    const [r1, r2, r3] = set.replicas;
    const auth = await signIn(r1!.url);
    const created = await call(r1!.url, '/api/keys', {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ name: 'replicas', scopes: ['read'] }),
    });
    expect(created.status).toBe(201);
    const { key, id } = (await created.json()) as { key: string; id: string };
    // Every replica has seen (and may have cached) the key before it is revoked.
    for (const r of set.replicas) expect((await call(r.url, '/api/keys', { headers: { 'x-api-key': key } })).status, r.id).toBe(200);
    const revoked = await call(r3!.url, `/api/keys/${id}`, { method: 'DELETE', headers: await signIn(r3!.url) });
    expect(revoked.status).toBe(204);
    for (const r of [r1!, r2!, r3!]) expect((await call(r.url, '/api/keys', { headers: { 'x-api-key': key } })).status, r.id).toBe(401);
  });

  it(`an anonymous limit of ${RATE} a minute admits exactly ${RATE} over all three replicas`, async () => {
    // One client address of its own (the replicas trust the loopback proxy's X-Forwarded-For).
    const client = { 'x-forwarded-for': '198.51.100.19' };
    const statuses: number[] = [];
    for (let i = 0; i < RATE * 2; i++) {
      const r = set.replicas[i % set.replicas.length]!;
      const res = await call(r.url, '/api/auth/session', { headers: client });
      statuses.push(res.status);
      if (res.status === 429) expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(RATE);
    expect(statuses.filter((s) => s === 429)).toHaveLength(RATE);
  });

  it('through nginx a client cannot pick its own address: a forged X-Forwarded-For buys no fresh budget (HTTP-3)', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < RATE * 2; i++) {
      const res = await call(set.lb, '/api/auth/session', { headers: { 'x-forwarded-for': `203.0.113.${i + 1}` } });
      statuses.push(res.status);
    }
    // Every request is nginx's one client, 127.0.0.1: at most RATE pass, whatever each claimed to be.
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(RATE);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(RATE);
  });

  it('a streamed chat comes through the load balancer as it is written, not buffered', async () => {
    const auth = await signIn(set.lb);
    const provider = await call(set.lb, '/api/providers', {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ name: 'fake', baseUrl: fake.url }),
    });
    expect(provider.status).toBe(201);
    const providerId = ((await provider.json()) as { id: string }).id;
    const familiar = await call(set.lb, '/api/familiars', {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ slug: 'ember', name: 'Ember', persona: 'You are Ember.', providerId, model: 'fake-model' }),
    });
    expect(familiar.status).toBe(201);
    const familiarId = ((await familiar.json()) as { id: string }).id;
    const conversation = await call(set.lb, '/api/conversations', { method: 'POST', headers: auth, body: JSON.stringify({ familiarId }) });
    const conversationId = ((await conversation.json()) as { id: string }).id;

    // The model writes three words a second and a half apart; nginx must pass each on at once.
    fake.script.push({ text: 'one two three', chunkDelayMs: 1_500 });
    const res = await call(set.lb, `/api/conversations/${conversationId}/messages`, {
      method: 'POST',
      headers: { ...auth, accept: 'text/event-stream' },
      body: JSON.stringify({ text: 'count for me' }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const arrivals: Array<{ at: number; text: string }> = [];
    const decoder = new TextDecoder();
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>)
      arrivals.push({ at: performance.now(), text: decoder.decode(chunk, { stream: true }) });
    const all = arrivals.map((a) => a.text).join('');
    expect(all).toContain('three');
    const firstDelta = arrivals.find((a) => a.text.includes('delta'))!;
    const last = arrivals.at(-1)!;
    // Buffered, everything would arrive together at the end; streamed, the first word is ~3 s early.
    expect(last.at - firstDelta.at).toBeGreaterThan(1_500);
  });
});
