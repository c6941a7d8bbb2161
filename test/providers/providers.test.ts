import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { checkProviderUrl, createOpenAIChat, ProviderError } from '../../src/providers/index.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-server.js';
import { startChatWorld, type ChatWorld } from '../companions/helpers.js';

describe('provider URLs (LLM-5)', () => {
  it('allows https anywhere and plain http only to loopback', () => {
    expect(checkProviderUrl('https://openrouter.ai/api/v1')).toBe('https://openrouter.ai/api/v1');
    expect(checkProviderUrl('http://127.0.0.1:11434/v1')).toBe('http://127.0.0.1:11434/v1');
    expect(checkProviderUrl('http://localhost:1234/v1')).toBe('http://localhost:1234/v1');
    expect(checkProviderUrl('http://[::1]:8080/v1')).toBe('http://[::1]:8080/v1');
    for (const bad of [
      'http://10.0.0.5:11434/v1',
      'http://example.com/v1',
      'http://127.0.0.1.evil.com/v1',
      'ftp://x/v1',
      'https://user:pw@x.com/v1',
      'file:///etc/passwd',
      'http://0.0.0.0:8080',
    ])
      expect(() => checkProviderUrl(bad), bad).toThrow();
  });
});

describe('the OpenAI-compatible client', () => {
  let fake: FakeOpenAI;
  beforeAll(async () => {
    fake = await startFakeOpenAI();
  });
  afterAll(async () => {
    await fake.close();
  });
  const collect = async (model: ReturnType<typeof createOpenAIChat>) => {
    let text = '';
    for await (const e of model.stream({ model: 'm', messages: [{ role: 'user', content: 'hi' }] })) if (e.type === 'delta') text += e.text;
    return text;
  };

  it('retries with backoff on 429 and 5xx, then succeeds', async () => {
    fake.script.push({ status: 429 }, { status: 503 }, { text: 'third time lucky' });
    expect(await collect(createOpenAIChat({ baseUrl: fake.url, maxRetries: 2 }))).toBe('third time lucky');
  });

  it('times out a silent provider with a typed error', async () => {
    fake.script.push({ text: 'late', delayMs: 1500 });
    await expect(collect(createOpenAIChat({ baseUrl: fake.url, timeoutMs: 300, maxRetries: 0 }))).rejects.toMatchObject({
      kind: 'timeout',
    });
  });

  it('a stream that ends without finishing is an error, not a reply', async () => {
    fake.script.push({ text: 'a b c d e f', breakAfter: 2 });
    const err = await collect(createOpenAIChat({ baseUrl: fake.url, maxRetries: 0 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
  });
});

describe('provider records (DATA-1)', () => {
  let w: ChatWorld;
  beforeAll(async () => {
    w = await startChatWorld();
  });
  afterAll(async () => {
    await w.close();
  });

  it('stores the key sealed, never in plain text', async () => {
    const rows = await sql<{ api_key_sealed: string }>`select api_key_sealed from providers`.execute(w.t.hearth.storage.db);
    expect(rows.rows[0]!.api_key_sealed).not.toContain('sk-fake-provider-key');
  });

  it('test-connection lists the models with the sealed key', async () => {
    const r = await w.t.app.inject({ method: 'POST', url: `/api/providers/${w.providerId}/test`, headers: w.auth(w.admin.key) });
    expect(r.json()).toEqual({ ok: true, models: ['fake-model'] });
  });

  it('refuses plain http to a non-loopback host with a clear 400', async () => {
    const r = await w.t.app.inject({
      method: 'POST',
      url: '/api/providers',
      headers: w.auth(w.admin.key),
      payload: { name: 'lan', baseUrl: 'http://192.168.1.10:11434/v1' },
    });
    expect(r.statusCode).toBe(400);
    expect(r.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('members cannot manage familiars or providers (AUTH-7)', async () => {
    const f = await w.t.app.inject({
      method: 'POST',
      url: '/api/familiars',
      headers: w.auth(w.alice.key),
      payload: { slug: 'x', name: 'x', persona: 'x', model: 'm' },
    });
    expect(f.statusCode).toBe(403);
    const list = await w.t.app.inject({ method: 'GET', url: '/api/familiars', headers: w.auth(w.alice.key) });
    expect(list.body).not.toContain('warm and curious');
  });
});
