import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpenAIChat } from '../../src/providers/index.js';
import { createProviderFetch } from '../../src/providers/http-fetch.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-server.js';

/**
 * The provider client's own transport (issue #17: node:http instead of the global fetch, for CPU).
 * The real openai SDK runs over it against the loopback fake; a small raw server plays a provider
 * that redirects or compresses, which the fake does not.
 */
describe('the provider transport (http-fetch.ts)', () => {
  let fake: FakeOpenAI;
  let raw: Server;
  let rawUrl: string;
  let hits: string[];
  beforeAll(async () => {
    fake = await startFakeOpenAI({ fallback: { text: 'over node http' } });
    hits = [];
    raw = createServer((req, res) => {
      hits.push(`${req.method} ${req.url} ${req.headers['accept-encoding'] ?? ''}`);
      if (req.url === '/redirect/v1/models') {
        res.writeHead(307, { location: `${rawUrl}/internal/v1/models` }).end();
        return;
      }
      if (req.url === '/gzip/v1/models') {
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
        res.end(gzipSync(JSON.stringify({ object: 'list', data: [{ id: 'zipped-model', object: 'model' }] })));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', data: [{ id: 'internal' }] }));
    });
    await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
    rawUrl = `http://127.0.0.1:${(raw.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await fake.close();
    await new Promise((r) => raw.close(r));
  });

  it('streams a chat reply through the real SDK, with the request body and headers intact', async () => {
    const model = createOpenAIChat({ baseUrl: fake.url, apiKey: 'sk-test-transport' });
    let text = '';
    for await (const e of model.stream({ model: 'm', messages: [{ role: 'user', content: 'hello transport' }] }))
      if (e.type === 'delta') text += e.text;
    expect(text).toBe('over node http');
    const sent = fake.requests.at(-1)!;
    expect(sent.headers.authorization).toBe('Bearer sk-test-transport');
    expect(JSON.stringify(sent.body.messages)).toContain('hello transport');
  });

  it('never follows a redirect: a provider answering 3xx is rejected, and the other host is not asked (LLM-5)', async () => {
    hits.length = 0;
    const model = createOpenAIChat({ baseUrl: `${rawUrl}/redirect/v1`, maxRetries: 0 });
    await expect(model.listModels()).rejects.toMatchObject({ kind: 'rejected' });
    expect(hits.some((h) => h.includes('/internal/'))).toBe(false);
  });

  it('decodes a body the provider compressed unasked, and asks for none', async () => {
    hits.length = 0;
    const model = createOpenAIChat({ baseUrl: `${rawUrl}/gzip/v1`, maxRetries: 0 });
    expect(await model.listModels()).toEqual(['zipped-model']);
    expect(hits[0]).toMatch(/ identity$/);
  });

  it('an aborted signal cancels the request mid-stream, and the provider sees the connection close', async () => {
    fake.script.push({ text: 'one two three four five six seven eight', chunkDelayMs: 100 });
    const before = fake.disconnects;
    const controller = new AbortController();
    const model = createOpenAIChat({ baseUrl: fake.url, maxRetries: 0 });
    let text = '';
    const run = (async () => {
      for await (const e of model.stream({ model: 'm', messages: [{ role: 'user', content: 'hi' }], signal: controller.signal }))
        if (e.type === 'delta') {
          text += e.text;
          controller.abort();
        }
    })();
    await expect(run).rejects.toMatchObject({ kind: 'aborted' });
    expect(text).not.toContain('eight');
    await expect.poll(() => fake.disconnects, { timeout: 5000 }).toBe(before + 1);
  });

  it('a provider that cannot be reached is a typed connection failure', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const model = createOpenAIChat({ baseUrl: `http://127.0.0.1:${port}/v1`, maxRetries: 0 });
    await expect(model.listModels()).rejects.toMatchObject({ kind: 'unavailable' });
  });

  it('a signal already aborted rejects before anything is sent', async () => {
    hits.length = 0;
    const transport = createProviderFetch();
    const controller = new AbortController();
    controller.abort();
    await expect(transport(`${rawUrl}/x`, { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
    expect(hits).toEqual([]);
    transport.close();
  });
});
