import { createHash, randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, looksLikeCredential, redactUrl } from '../../src/logging/index.js';
import { generateApiKey } from '../../src/identity/secrets.js';
import { LogCapture, startTestHearth, type TestHearth } from '../support/hearth.js';

/** Sends one raw HTTP/1.1 request (absolute-form targets and odd headers that `inject` would normalise). */
function rawRequest(port: number, head: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(`${head}\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`));
    let out = '';
    socket.on('data', (d: Buffer) => (out += d.toString('utf8')));
    socket.on('end', () => resolve(out));
    socket.on('error', reject);
  });
}

const base62 = (bytes: number) =>
  [...randomBytes(bytes)].map((b) => '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'[b % 62]).join('');

describe('#15 logs: secrets in URLs and headers are redacted before any log line, even when the request is refused (LOG-1, HTTP-4)', () => {
  let t: TestHearth;
  let port: number;
  beforeAll(async () => {
    t = await startTestHearth({ env: { HEARTH_SERVICE_KEY: randomBytes(32).toString('hex') } });
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    port = (t.app.server.address() as { port: number }).port;
  });
  afterAll(async () => t.close());

  it('redacts credentials under any parameter name, in the path, in the user info and in X-Request-ID', async () => {
    const hearthKey = generateApiKey();
    const session = randomBytes(32).toString('base64url');
    const serviceKey = t.config.HEARTH_SERVICE_KEY!;
    const jwt = `eyJhbGciOiJIUzI1NiJ9.${Buffer.from('{"sub":"owner"}').toString('base64url')}.${randomBytes(32).toString('base64url')}`;
    const opaque = base62(32);
    const password = 'Tr0ub4dor&3-horse';
    const secrets = [hearthKey, session, serviceKey, jwt, opaque, password, 'pw-FAKE-s3cret', 'hunter2hunter2'];
    const before = t.logs.lines.length;
    const urls = [
      `/api/auth/session?authorization=Bearer%20${hearthKey}`,
      `/api/auth/session?authorization=Bearer+${hearthKey}`,
      `/api/auth/session?x=Bearer%2520${hearthKey}`,
      `/api/auth/session?sid=${session}`,
      `/api/observability?k=${serviceKey}`,
      `/api/nope?q=${jwt}&page=2`,
      `/api/nope?note=${opaque}`,
      `/api/nope/${opaque}`,
      `/api/users/alice/password/${encodeURIComponent(password)}`,
      `/api/nope/password=hunter2hunter2`,
      `/%61pi/nope?token=${session}`,
      `/api/%zz?sid=${session}`,
    ];
    for (const url of urls) {
      const res = await t.app.inject({ method: 'GET', url, headers: { 'x-request-id': hearthKey } });
      expect(res.headers['x-request-id'], url).not.toBe(hearthKey);
      expect(res.headers['x-request-id'], url).toMatch(/^[0-9a-f-]{36}$/);
    }
    await rawRequest(port, 'GET http://alice:pw-FAKE-s3cret@127.0.0.1/api/nope HTTP/1.1');
    await rawRequest(port, `GET //alice:pw-FAKE-s3cret@evil.example/api/nope HTTP/1.1\r\nX-Request-ID: ${session}`);
    const text = t.logs.lines.slice(before).join('\n');
    for (const s of secrets) {
      expect(text).not.toContain(s);
      expect(text).not.toContain(encodeURIComponent(s));
    }
    expect(text).toContain('[REDACTED]');
  });

  it('keeps what is not a secret readable: ids, paging cursors, slugs, a request id of the caller', async () => {
    const before = t.logs.lines.length;
    const id = '0b6f3c1e-8a2d-4f5b-9c7e-1d2a3b4c5d6e';
    const url = `/api/conversations/${id}/messages?before=0mi4k2x9a0000a1b2c3d4e5f6&limit=20&familiar=ember-the-2nd`;
    const res = await t.app.inject({ method: 'GET', url, headers: { 'x-request-id': 'client-trace.42' } });
    expect(res.headers['x-request-id']).toBe('client-trace.42');
    const lines = t.logs.records().slice(before);
    expect(lines.some((l) => JSON.stringify(l).includes(url))).toBe(true);
    const uuidId = await t.app.inject({ method: 'GET', url: '/api/health', headers: { 'x-request-id': id } });
    expect(uuidId.headers['x-request-id']).toBe(id);
  });

  it('redacts header maps by name and by value wherever they are logged', () => {
    const logs = new LogCapture();
    const logger = createLogger({ destination: logs });
    const key = generateApiKey();
    const token = randomBytes(24).toString('base64url');
    logger.warn({
      headers: { 'x-custom-auth-thing': key, 'x-trace': token, referer: `https://x.example/cb?state=${token}`, accept: 'application/json' },
    });
    expect(logs.text).not.toContain(key);
    expect(logs.text).not.toContain(token);
    expect(logs.records()[0]?.headers).toMatchObject({ accept: 'application/json' });
  });

  it('redacts any random token of 20 bytes or more under any parameter name, percent-encoded or not (property)', () => {
    const names = fc.stringMatching(/^[a-z][a-z0-9_]{0,11}$/);
    // Random bytes as a key generator makes them: fast-check picks the seed and length, SHA-512 spreads it.
    const token = fc
      .tuple(
        fc.uint8Array({ minLength: 1, maxLength: 16 }),
        fc.integer({ min: 20, max: 48 }),
        fc.constantFrom('base64url', 'base64', 'hex' as const),
      )
      .map(([seed, n, enc]) =>
        Buffer.concat([createHash('sha512').update(seed).digest(), createHash('sha512').update(seed).update('2').digest()])
          .subarray(0, n)
          .toString(enc)
          .replace(/=+$/, ''),
      );
    fc.assert(
      fc.property(names, token, fc.boolean(), (name, value, encode) => {
        const shown = encode ? encodeURIComponent(value) : value;
        // In a path, a value with `/` is several segments; a client puts a token there encoded.
        const segment = encodeURIComponent(value);
        const out = redactUrl(`/api/x/${segment}?${name}=${shown}&page=1`);
        expect(out).not.toContain(shown);
        expect(out).not.toContain(segment);
        expect(out).toContain('page=1');
      }),
      { numRuns: 2000 },
    );
  });

  it('does not mistake words, slugs, dates and ids for credentials (property over generated readable text)', () => {
    const word = fc.stringMatching(/^[a-z]{2,10}$/);
    const readable = fc.oneof(
      fc.array(word, { minLength: 1, maxLength: 6 }).map((w) => w.join('-')),
      fc.date({ noInvalidDate: true, min: new Date(0), max: new Date(4e12) }).map((d) => d.toISOString()),
      fc.uuid(),
      fc.nat().map(String),
    );
    fc.assert(
      fc.property(readable, (v) => {
        expect(looksLikeCredential(v), v).toBe(false);
      }),
    );
  });
});
