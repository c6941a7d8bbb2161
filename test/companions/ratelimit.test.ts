import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newConversation, startChatWorld, type ChatWorld } from './helpers.js';

describe('chat turns are rate limited per person (HTTP-3)', () => {
  let w: ChatWorld;
  beforeAll(async () => {
    w = await startChatWorld({ env: { HEARTH_RATE_CHAT_TURNS: '2' } });
  });
  afterAll(async () => {
    await w.close();
  });

  it('the third turn in a minute is a 429 with Retry-After; another person is unaffected', async () => {
    const id = await newConversation(w, w.alice.key);
    const send = (key: string, conv: string) =>
      w.t.app.inject({ method: 'POST', url: `/api/conversations/${conv}/messages`, headers: w.auth(key), payload: { text: 'hi' } });
    expect((await send(w.alice.key, id)).statusCode).toBe(200);
    expect((await send(w.alice.key, id)).statusCode).toBe(200);
    const third = await send(w.alice.key, id);
    expect(third.statusCode).toBe(429);
    expect(third.json()).toMatchObject({ code: 'RATE_LIMITED' });
    expect(third.headers['retry-after']).toBeDefined();
    const bobs = await newConversation(w, w.bob.key);
    expect((await send(w.bob.key, bobs)).statusCode).toBe(200);
  });
});
