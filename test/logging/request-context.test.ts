import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, runWithLogContext } from '../../src/logging/index.js';
import { startChatWorld, newConversation, type ChatWorld } from '../companions/helpers.js';
import { LogCapture } from '../support/hearth.js';

/**
 * Every line a request writes, found by position (the lines written while it ran), not by
 * searching for its id: a line without the id is still one of them and fails the check.
 */
async function linesDuring(w: ChatWorld, run: () => Promise<unknown>): Promise<Array<Record<string, unknown>>> {
  const before = w.t.logs.lines.length;
  await run();
  return w.t.logs.records().slice(before);
}

describe('#15 logs: service log lines carry the request id through async context (HTTP-4)', () => {
  let w: ChatWorld;
  beforeAll(async () => {
    w = await startChatWorld();
  });
  afterAll(async () => w.close());

  it('the turn\'s "model call failed" line and every other line of the request carry its id', async () => {
    const conversation = await newConversation(w, w.alice.key);
    w.fake.script.push({ status: 500 }, { status: 500 }, { status: 500 });
    const lines = await linesDuring(w, () =>
      w.t.app.inject({
        method: 'POST',
        url: `/api/conversations/${conversation}/messages`,
        headers: { ...w.auth(w.alice.key), 'x-request-id': 'trace-15-turn' },
        payload: { text: 'hello there' },
      }),
    );
    expect(lines.some((l) => l.msg === 'model call failed')).toBe(true);
    for (const line of lines) expect(line.requestId, JSON.stringify(line)).toBe('trace-15-turn');
    // Fastify's own request lines carry it once, not twice.
    const completed = w.t.logs.lines.slice(-lines.length).find((l) => l.includes('request completed'));
    expect(completed?.match(/"requestId"/g)).toHaveLength(1);
  });

  it('lines of the OpenAI-compatible endpoint (a channel) carry the id too', async () => {
    w.fake.script.push({ status: 500 }, { status: 500 }, { status: 500 });
    const lines = await linesDuring(w, () =>
      w.t.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        headers: { ...w.auth(w.alice.key), 'x-request-id': 'trace-15-openai' },
        payload: { model: 'ember', messages: [{ role: 'user', content: 'hi' }] },
      }),
    );
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines) expect(line.requestId, JSON.stringify(line)).toBe('trace-15-openai');
  });

  it("two requests in flight at once never get each other's id", async () => {
    const logs = new LogCapture();
    const logger = createLogger({ destination: logs });
    const work = (id: string, delay: number) =>
      runWithLogContext(logger, { requestId: id }, async () => {
        await new Promise((r) => setTimeout(r, delay));
        logger.warn({ step: 1 }, `work ${id}`);
        await Promise.resolve();
        logger.child({ component: 'memory' }).warn(`more ${id}`);
      });
    await Promise.all([work('a', 5), work('b', 1)]);
    logger.info('outside any request');
    const records = logs.records();
    for (const r of records.slice(0, 4)) expect(String(r.msg)).toContain(String(r.requestId));
    expect(records[4]?.requestId).toBeUndefined();
  });
});
