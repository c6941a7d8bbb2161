import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HEARTH_PLUGINS } from '../../src/app/index.js';
import { definePlugin } from '../../src/core/index.js';
import { signatureHeader } from '../../src/security/webhooks/index.js';
import { startTestHearth, type TestHearth } from '../support/hearth.js';

/** DESIGN §6, Alphapy: webhooks unsigned when their secret is unset; no replay window; an API open when nothing is configured. */
describe('incident: Alphapy', () => {
  let t: TestHearth;
  const erased: string[] = [];
  let invalidated = 0;
  beforeAll(async () => {
    // records what the erasure and invalidate webhooks reach
    const recorder = definePlugin({
      name: 'recorder',
      init: () => ({
        contributes: {
          personData: [{ part: 'recorder', erase: async (id) => (erased.push(id), {}) }],
          invalidators: [() => void invalidated++],
        },
      }),
    });
    // nothing configured: no secrets, no service key, no users
    t = await startTestHearth({ plugins: [...HEARTH_PLUGINS, recorder] });
  });
  afterAll(async () => t?.close());

  let caller = 0;
  const post = (name: string, body: string, headers: Record<string, string> = {}) =>
    t.app.inject({
      method: 'POST',
      url: `/api/webhooks/${name}`,
      payload: body,
      remoteAddress: `127.0.1.${++caller}`,
      headers: { 'content-type': 'application/json', ...headers },
    });

  it('incident: Alphapy — webhooks accepted unsigned when their secret is unset: without a secret nothing runs, signed or not', async () => {
    for (const name of ['erasure', 'invalidate', 'memory-import']) {
      const body = JSON.stringify({ userId: 'victim', scope: 'all', items: [] });
      const attempts: Array<Record<string, string>> = [
        {},
        { 'hearth-signature': signatureHeader('', body) },
        { 'hearth-signature': signatureHeader('guess', body) },
      ];
      for (const headers of attempts) {
        const res = await post(name, body, headers);
        expect(res.statusCode, name).toBe(404);
      }
    }
    expect(erased).toEqual([]);
    expect(invalidated).toBe(0);
  });

  it('incident: Alphapy — no replay window: a captured delivery runs once; a replay and an old signature are refused', async () => {
    const secret = await t.hearth.webhooks.createSecret('erasure');
    const body = JSON.stringify({ userId: 'u-replayed' });
    const header = signatureHeader(secret, body);
    expect((await post('erasure', body, { 'hearth-signature': header })).statusCode).toBe(200);
    for (let i = 0; i < 3; i++) expect((await post('erasure', body, { 'hearth-signature': header })).statusCode).toBe(409);
    const old = JSON.stringify({ userId: 'u-old' });
    const stale = await post('erasure', old, { 'hearth-signature': signatureHeader(secret, old, Math.floor(Date.now() / 1000) - 3600) });
    expect(stale.statusCode).toBe(401);
    const future = await post('erasure', old, { 'hearth-signature': signatureHeader(secret, old, Math.floor(Date.now() / 1000) + 3600) });
    expect(future.statusCode).toBe(401);
    expect(erased).toEqual(['u-replayed']);
  });

  it('incident: Alphapy — an API that runs unauthenticated when nothing is configured: every non-public route refuses', async () => {
    const url = (u: string) => u.replace(/:[A-Za-z0-9_]+/g, 'x').replace(/\*$/, 'x');
    let checked = 0;
    for (const r of t.app.hearthRoutes) {
      const p = r.policy;
      if (!p || p.access === 'public') continue;
      const res = await t.app.inject({
        method: r.method as 'GET',
        url: url(r.url),
        remoteAddress: `127.0.2.${(checked % 250) + 1}`,
        ...(r.method === 'GET' || r.method === 'HEAD' ? {} : { payload: {} }),
      });
      // signed routes need a credential; service routes stay shut while no service key is set
      expect(res.statusCode, `${r.method} ${r.url}`).toBe(p.access === 'service' ? 503 : 401);
      checked++;
    }
    expect(checked).toBeGreaterThan(40);
  });
});
