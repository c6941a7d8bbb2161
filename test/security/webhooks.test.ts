import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisReplayCache, signatureHeader, signWebhook } from '../../src/security/webhooks/index.js';
import { HEARTH_PLUGINS } from '../../src/app/index.js';
import { definePlugin } from '../../src/core/index.js';
import { startTestHearth, type TestHearth } from '../support/hearth.js';

describe('signed webhooks (HOOK-1)', () => {
  let t: TestHearth;
  let secret: string;
  const erased: string[] = [];
  let invalidated = 0;

  beforeAll(async () => {
    // A plugin of the test's own: erasure reaches its personData hook, invalidation its invalidator.
    const recorder = definePlugin({
      name: 'recorder',
      init: () => ({
        contributes: {
          personData: [{ part: 'recorder', erase: async (id) => (erased.push(id), {}) }],
          invalidators: [() => void invalidated++],
        },
      }),
    });
    t = await startTestHearth({ env: { HEARTH_WEBHOOK_MAX_BYTES: '2048' }, plugins: [...HEARTH_PLUGINS, recorder] });
    secret = await t.hearth.webhooks.createSecret('erasure');
  });
  afterAll(async () => t.close());

  let caller = 0;
  // A distinct loopback address per request, so the anonymous rate limit (HTTP-3) does not interfere.
  const post = (name: string, body: string, headers: Record<string, string> = {}) =>
    t.app.inject({
      method: 'POST',
      url: `/api/webhooks/${name}`,
      payload: body,
      remoteAddress: `127.0.${Math.floor(++caller / 250)}.${(caller % 250) + 1}`,
      headers: { 'content-type': 'application/json', ...headers },
    });

  it('HOOK-1 a webhook with no secret configured answers 404 and does nothing, even from loopback', async () => {
    const body = JSON.stringify({ scope: 'all' });
    const res = await post('invalidate', body, { 'hearth-signature': signatureHeader('guess', body) });
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('NOT_FOUND');
    expect(invalidated).toBe(0);
    expect((await post('nope', body)).statusCode).toBe(404);
  });

  it('HOOK-1 unsigned and badly signed requests are refused, loopback over real HTTP included', async () => {
    const body = JSON.stringify({ userId: 'u-unsigned' });
    const unsigned = await post('erasure', body);
    expect(unsigned.statusCode).toBe(401);
    expect(unsigned.json().code).toBe('UNAUTHENTICATED');
    for (const header of [
      signatureHeader('wrong-secret', body),
      signatureHeader(secret, body + ' '),
      't=abc,v1=00',
      `v1=${signWebhook(secret, Math.floor(Date.now() / 1000), body)}`,
    ]) {
      const res = await post('erasure', body, { 'hearth-signature': header });
      expect(res.statusCode).toBe(401);
    }
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const res = await fetch(`${address}/api/webhooks/erasure`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(401);
    expect(erased).not.toContain('u-unsigned');
    const denied = await t.hearth.audit.list({ action: 'webhook.rejected' });
    expect(denied.length).toBeGreaterThanOrEqual(6);
    expect(JSON.stringify(denied)).not.toContain(secret);
  });

  it('HOOK-1 a stale signature (older than 5 minutes) is refused', async () => {
    const body = JSON.stringify({ userId: 'u-stale' });
    const old = Math.floor(Date.now() / 1000) - 301;
    const res = await post('erasure', body, { 'hearth-signature': signatureHeader(secret, body, old) });
    expect(res.statusCode).toBe(401);
    expect(erased).not.toContain('u-stale');
  });

  it('HOOK-1 a valid delivery runs once; its replay is refused', async () => {
    const body = JSON.stringify({ userId: 'u-42' });
    const header = signatureHeader(secret, body);
    const ok = await post('erasure', body, { 'hearth-signature': header });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ ok: true, erased: 'u-42' });
    const again = await post('erasure', body, { 'hearth-signature': header });
    expect(again.statusCode).toBe(409);
    expect(erased.filter((e) => e === 'u-42')).toHaveLength(1);
  });

  it('HOOK-1 an oversized body is refused with 413 before anything runs', async () => {
    const body = JSON.stringify({ userId: 'x'.repeat(4096) });
    const res = await post('erasure', body, { 'hearth-signature': signatureHeader(secret, body) });
    expect(res.statusCode).toBe(413);
    expect(erased.some((e) => e.startsWith('xxx'))).toBe(false);
  });

  it('HOOK-1 a signed but invalid payload is a 400, not a 500', async () => {
    const body = JSON.stringify({ userId: 'u', extra: true });
    const res = await post('erasure', body, { 'hearth-signature': signatureHeader(secret, body) });
    expect(res.statusCode).toBe(400);
  });

  it('HOOK-1 invalidate drops caches once a secret is configured; the secret is sealed at rest', async () => {
    const s = await t.hearth.webhooks.createSecret('invalidate');
    const body = '{}';
    const res = await post('invalidate', body, { 'hearth-signature': signatureHeader(s, body) });
    expect(res.statusCode).toBe(200);
    expect(invalidated).toBe(1);
    const rows = await t.hearth.storage.db
      .withTables<{ webhook_secrets: { name: string; secret: string } }>()
      .selectFrom('webhook_secrets')
      .selectAll()
      .execute();
    for (const r of rows) expect(r.secret.startsWith('hv1:')).toBe(true);
    expect(JSON.stringify(rows)).not.toContain(s);
    const listed = await t.hearth.webhooks.list();
    expect(listed.find((w) => w.name === 'invalidate')?.secret).toBe(`••••${s.slice(-4)}`);
  });

  it('HOOK-1 the Redis replay cache refuses a second claim', async () => {
    const cache = redisReplayCache('redis://127.0.0.1:6379', `hearth-test:${randomBytes(6).toString('hex')}:`);
    try {
      expect(await cache.claim('abc', 10_000)).toBe(true);
      expect(await cache.claim('abc', 10_000)).toBe(false);
    } finally {
      await cache.close();
    }
  });
});
