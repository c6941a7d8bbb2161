import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHearth, type TestHearth } from '../support/hearth.js';

const SERVICE_KEY = 'svc-key-replica-observability-0123456789abcdef';

describe('HTTP-7 per-replica observability', () => {
  let t: TestHearth;
  beforeAll(async () => {
    t = await startTestHearth({ env: { HEARTH_SERVICE_KEY: SERVICE_KEY, HEARTH_REPLICA_ID: 'replica-a' } });
  });
  afterAll(async () => {
    await t.close();
  });

  it('every /metrics series carries the replica label', async () => {
    await t.app.inject({ method: 'GET', url: '/api/health' });
    const res = await t.app.inject({ method: 'GET', url: '/metrics', headers: { 'x-api-key': SERVICE_KEY } });
    expect(res.statusCode).toBe(200);
    const series = res.body.split('\n').filter((l) => l && !l.startsWith('#'));
    expect(series.length).toBeGreaterThan(10);
    expect(series.filter((l) => !l.includes('replica="replica-a"'))).toEqual([]);
    expect(res.body).toMatch(/^hearth_http_requests_total\{[^}]*replica="replica-a"[^}]*\} \d+/m);
  });

  it('/api/health names the replica only for the service key; a wrong key or none gets the bare status', async () => {
    const detail = await t.app.inject({ method: 'GET', url: '/api/health', headers: { 'x-api-key': SERVICE_KEY } });
    expect(detail.json()).toMatchObject({ status: 'ok', detail: { replica: 'replica-a', pid: process.pid } });
    for (const headers of [{}, { 'x-api-key': `${SERVICE_KEY}x` }, { 'x-api-key': '' }]) {
      const res = await t.app.inject({ method: 'GET', url: '/api/health', headers });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ status: 'ok' });
    }
  });

  it('a malformed HEARTH_REPLICA_ID is refused at start-up, naming the variable', async () => {
    await expect(startTestHearth({ env: { HEARTH_REPLICA_ID: 'bad id\nwith newline' } })).rejects.toThrow(/HEARTH_REPLICA_ID/);
  });
});
