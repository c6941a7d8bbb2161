import { createDecipheriv, hkdfSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHearth, type TestHearth } from '../support/hearth.js';
import { userWithKey } from '../identity/helpers.js';

const MASTER = 'a1b2c3d4e5f60718293a4b5c6d7e8f90112233445566778899aabbccddeeff00';

/** DESIGN §6, SelfMemory: rate limiting off by default; documentation claiming AES-256 where the code used AES-128. */
describe('incident: SelfMemory', () => {
  let t: TestHearth;
  beforeAll(async () => {
    // the defaults: no rate-limit variable set
    t = await startTestHearth({ env: { HEARTH_MASTER_KEY: MASTER } });
  });
  afterAll(async () => t?.close());

  it('incident: SelfMemory — rate limiting off by default: an anonymous flood is cut off with 429 at the defaults', async () => {
    const probes: number[] = [];
    for (let i = 0; i < 80; i++) probes.push((await t.app.inject({ url: '/api/health', remoteAddress: '10.1.1.1' })).statusCode);
    expect(probes.slice(0, 60).every((s) => s === 200)).toBe(true);
    expect(probes.slice(60).every((s) => s === 429)).toBe(true);
    const writes: number[] = [];
    for (let i = 0; i < 15; i++)
      writes.push(
        (
          await t.app.inject({
            method: 'POST',
            url: '/api/auth/login',
            remoteAddress: '10.1.1.2',
            payload: { name: 'x', password: 'y'.repeat(12) },
          })
        ).statusCode,
      );
    expect(writes).toContain(429);
    // percent-encoding the path does not open a fresh budget
    const encoded = await t.app.inject({ url: '/%61pi/health', remoteAddress: '10.1.1.1' });
    expect(encoded.statusCode).toBe(429);
  });

  it('incident: SelfMemory — documentation claiming AES-256 where the code uses AES-128: a stored secret opens with AES-256-GCM as documented, and not with AES-128', async () => {
    const doc = readFileSync('docs/vault.md', 'utf8');
    expect(doc).toMatch(/AES-256-GCM/);
    expect(readFileSync('README.md', 'utf8')).toMatch(/AES-256-GCM/);
    const admin = await userWithKey(t, 'ada', 'admin', ['read', 'write', 'admin']);
    const secret = 'sk-selfmemory-provider-key-4242';
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/providers',
      headers: { 'x-api-key': admin.key },
      payload: { name: 'p', baseUrl: 'https://api.example.com/v1', apiKey: secret },
    });
    expect(created.statusCode).toBe(201);
    const id = (created.json() as { id: string }).id;
    const row = await t.hearth.storage.db
      .withTables<{ providers: { id: string; api_key_sealed: string } }>()
      .selectFrom('providers')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    const sealed = Object.values(row).find((v) => typeof v === 'string' && v.startsWith('hv1:')) as string;
    expect(sealed).toBeTruthy();
    const column = Object.entries(row).find(([, v]) => v === sealed)![0];
    // open it independently, the way docs/vault.md describes: HKDF-SHA256 per column, AES-256-GCM, the location as associated data
    const [, keyId, nonce, ciphertext, tag] = sealed.split(':') as [string, string, string, string, string];
    const key = Buffer.from(
      hkdfSync('sha256', Buffer.from(MASTER, 'hex'), Buffer.from('hearth/hkdf/v1'), Buffer.from(`vault:providers.${column}`), 32),
    );
    expect(key.length * 8).toBe(256);
    const open = (algorithm: string, k: Buffer) => {
      const d = createDecipheriv(algorithm as 'aes-256-gcm', k, Buffer.from(nonce, 'base64url'));
      d.setAAD(Buffer.from(['hearth-vault/v1', keyId, 'providers', column, id].join('\u0000')));
      d.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([d.update(Buffer.from(ciphertext, 'base64url')), d.final()]).toString('utf8');
    };
    expect(open('aes-256-gcm', key)).toBe(secret);
    expect(() => open('aes-128-gcm', key.subarray(0, 16))).toThrow();
  });
});
