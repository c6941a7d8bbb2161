import { Agent, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newConversation, startChatWorld, type ChatWorld } from '../companions/helpers.js';
import { startFakeSpeech, toneWav, type FakeSpeech } from '../fakes/speech-server.js';
import { startFakeDeepgram, type FakeDeepgram } from './fake-vendors.js';
import { tempLeft } from './fixtures.js';

const KEY = 'dg-secret-key-16180339';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until true or `ms` pass. */
async function until(check: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await sleep(20);
  }
  return check();
}

describe('#18 voice: the upload streams to Deepgram while it arrives (CH-5)', () => {
  let w: ChatWorld;
  let deepgram: FakeDeepgram;
  let tts: FakeSpeech;
  let base = '';
  // One kept-alive connection for every upload: a body Hearth did not read to its end must not stall the next request.
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });

  beforeAll(async () => {
    w = await startChatWorld({
      env: { HEARTH_RATE_CHAT_TURNS: '1000', HEARTH_VOICE_MAX_SECONDS: '30', HEARTH_VOICE_MAX_BYTES: String(2 * 1024 * 1024) },
    });
    w.fake.fallback = { text: 'The sea is wide.' };
    [deepgram, tts] = await Promise.all([startFakeDeepgram({ apiKey: KEY }), startFakeSpeech()]);
    for (const payload of [
      { name: 'dg', kind: 'stt', api: 'deepgram', baseUrl: deepgram.url, apiKey: KEY, model: 'nova-2', active: true },
      { name: 'tts', kind: 'tts', baseUrl: tts.url, model: 'fake', active: true },
    ]) {
      const r = await w.t.app.inject({ method: 'POST', url: '/api/voice/providers', headers: w.auth(w.admin.key), payload });
      expect(r.statusCode, r.body).toBe(201);
    }
    await w.t.app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(w.t.app.server.address() as AddressInfo).port}`;
  }, 60_000);
  afterAll(async () => {
    agent.destroy();
    await deepgram?.close();
    await tts?.close();
    await w?.close();
  });

  /** A chunked upload (no Content-Length) over real HTTP; `send` writes it piece by piece. */
  const upload = (conversationId: string, send: (write: (b: Buffer) => void) => Promise<void>) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        `${base}/api/conversations/${conversationId}/voice`,
        { method: 'POST', agent, headers: { ...w.auth(w.alice.key), 'content-type': 'audio/wav', 'transfer-encoding': 'chunked' } },
        (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString('utf8')));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      send((b) => req.write(b)).then(
        () => req.end(),
        (err: unknown) => {
          req.destroy();
          reject(err as Error);
        },
      );
    });

  it('#18 voice: frames reach Deepgram before the upload ends; a stalled upload gets KeepAlive; Finalize and CloseStream end it', async () => {
    const c = await newConversation(w, w.alice.key);
    const wav = toneWav(3); // 96,000 bytes of PCM behind a 44-byte header
    const streams = deepgram.streams.length;
    let framesBeforeEnd = 0;
    const r = await upload(c, async (write) => {
      write(wav.subarray(0, 44 + 32_000)); // the header and the first second
      // Hearth must already be sending it on: a server that waits for the whole upload never gets here.
      const heard = await until(() => (deepgram.streams[streams]?.frames ?? 0) >= 4, 10_000);
      expect(heard, 'the first second reached Deepgram while the upload was still open').toBe(true);
      await sleep(3600); // the speaker pauses: Deepgram must not time out
      framesBeforeEnd = deepgram.streams[streams]!.frames;
      write(wav.subarray(44 + 32_000));
    });
    expect(r.status, r.body).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ transcript: 'tell me about the sea', reply: { text: 'The sea is wide.' } });
    const stream = deepgram.streams[streams]!;
    expect(framesBeforeEnd).toBeGreaterThanOrEqual(4);
    expect(stream).toMatchObject({ audioBytes: 96_000, frames: 12, finalized: true, closedByClient: true });
    expect(stream.keepAlives).toBeGreaterThanOrEqual(1);
    expect(tempLeft(w.t.dataDir)).toEqual([]);
    const audit = await w.t.app.inject({ method: 'GET', url: '/api/audit?action=voice.turn', headers: w.auth(w.admin.key) });
    expect(audit.body).toContain('"seconds":3');
  }, 60_000);

  it('#18 voice: never more than the header declares is sent; an upload past the size limit is a 413 and stores nothing', async () => {
    const c = await newConversation(w, w.alice.key);
    // One second declared, three sent: only the declared second is heard (and charged).
    const wav = toneWav(3);
    wav.writeUInt32LE(32_000, 40);
    const streams = deepgram.streams.length;
    const r = await upload(c, async (write) => write(wav));
    expect(r.status, r.body).toBe(200);
    expect(deepgram.streams[streams]).toMatchObject({ audioBytes: 32_000, frames: 4 });
    // The same connection takes the next upload (the two seconds Hearth did not read were dropped).
    const next = await upload(c, async (write) => write(toneWav(1)));
    expect(next.status, next.body).toBe(200);

    // A header that declares little in front of far more than the limit, without Content-Length: read whole, refused at the limit.
    const huge = Buffer.concat([toneWav(1), Buffer.alloc(3 * 1024 * 1024)]);
    huge.writeUInt32LE(0xffffffff, 40);
    const before = (await w.t.app.inject({ method: 'GET', url: `/api/conversations/${c}/messages`, headers: w.auth(w.alice.key) })).json();
    const big = await upload(c, async (write) => {
      for (let at = 0; at < huge.length; at += 256 * 1024) write(huge.subarray(at, at + 256 * 1024));
    }).catch((err: unknown) => ({ status: -1, body: String(err) }));
    expect([413, -1]).toContain(big.status); // the server may answer 413 and close before the client has sent it all
    if (big.status === 413) expect(JSON.parse(big.body)).toMatchObject({ details: { reason: 'VOICE_TOO_LARGE' } });
    const after = (await w.t.app.inject({ method: 'GET', url: `/api/conversations/${c}/messages`, headers: w.auth(w.alice.key) })).json();
    expect(after).toEqual(before);
    expect(tempLeft(w.t.dataDir)).toEqual([]);
  }, 60_000);

  it('#18 voice: without a credential the upload is a 401 and Deepgram never hears it (AUTH-7)', async () => {
    const c = await newConversation(w, w.alice.key);
    const streams = deepgram.streams.length;
    const r = await new Promise<number>((resolve, reject) => {
      const req = request(
        `${base}/api/conversations/${c}/voice`,
        { method: 'POST', agent, headers: { 'content-type': 'audio/wav', 'transfer-encoding': 'chunked' } },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end(toneWav(2));
    });
    expect(r).toBe(401);
    await sleep(200);
    expect(deepgram.streams.length).toBe(streams);
  }, 30_000);

  it('#18 voice: a caller who goes away mid-upload: the Deepgram stream is dropped and nothing is stored', async () => {
    const c = await newConversation(w, w.alice.key);
    const streams = deepgram.streams.length;
    const wav = toneWav(3);
    await upload(c, async (write) => {
      write(wav.subarray(0, 44 + 16_000));
      await until(() => (deepgram.streams[streams]?.frames ?? 0) >= 2, 10_000);
      throw new Error('gone');
    }).catch(() => undefined);
    // Hearth closes its side; the stream never got CloseStream.
    await until(() => deepgram.streams[streams]?.closedByClient === false && deepgram.openStreams() === 0, 10_000);
    expect(deepgram.openStreams()).toBe(0);
    expect(deepgram.streams[streams]).toMatchObject({ closedByClient: false, finalized: false });
    const messages = (
      await w.t.app.inject({ method: 'GET', url: `/api/conversations/${c}/messages`, headers: w.auth(w.alice.key) })
    ).json();
    expect(messages).toMatchObject({ messages: [] });
  }, 60_000);
});
