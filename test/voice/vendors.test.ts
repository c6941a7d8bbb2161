import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newConversation, startChatWorld, type ChatWorld } from '../companions/helpers.js';
import { toneWav } from '../fakes/speech-server.js';
import { parsePcmWav } from '../../src/voice/wav.js';
import { startFakeCartesia, startFakeDeepgram, type FakeCartesia, type FakeDeepgram } from './fake-vendors.js';
import { wavSeconds } from './fixtures.js';

const DEEPGRAM_KEY = 'dg-secret-key-31415926';
const CARTESIA_KEY = 'sk_car_secret-key-27182818';
const VOICE_ID = '694f9389-aac1-45b6-b726-9d9369183238';
const REPLY = 'The sea is wide. It is deep and blue!';

describe('#18 voice: Deepgram (streaming STT over WebSocket) and Cartesia (TTS) providers (CH-5, DATA-1, LLM-5)', () => {
  let w: ChatWorld;
  let deepgram: FakeDeepgram;
  let cartesia: FakeCartesia;
  const ids: Record<string, string> = {};
  const create = (payload: Record<string, unknown>) =>
    w.t.app.inject({ method: 'POST', url: '/api/voice/providers', headers: w.auth(w.admin.key), payload });

  beforeAll(async () => {
    w = await startChatWorld({ env: { HEARTH_RATE_CHAT_TURNS: '1000' } });
    w.fake.fallback = { text: REPLY };
    [deepgram, cartesia] = await Promise.all([startFakeDeepgram({ apiKey: DEEPGRAM_KEY }), startFakeCartesia({ apiKey: CARTESIA_KEY })]);
  }, 60_000);
  afterAll(async () => {
    await deepgram?.close();
    await cartesia?.close();
    await w?.close();
  });

  it('#18 voice: each protocol offers only its kind; Cartesia needs a voice id; plain http only to loopback', async () => {
    const wrongKind = await create({ name: 'dg-tts', kind: 'tts', api: 'deepgram', baseUrl: deepgram.url, model: 'nova-2' });
    expect(wrongKind.statusCode).toBe(400);
    expect(wrongKind.json()).toMatchObject({ details: { reason: 'VOICE_INVALID' } });
    const cartesiaStt = await create({ name: 'c-stt', kind: 'stt', api: 'cartesia', baseUrl: cartesia.url, model: 'sonic-2' });
    expect(cartesiaStt.statusCode).toBe(400);
    const noVoice = await create({ name: 'c', kind: 'tts', api: 'cartesia', baseUrl: cartesia.url, model: 'sonic-2' });
    expect(noVoice.statusCode).toBe(400);
    expect(noVoice.json().error).toContain('voice id');
    const lan = await create({ name: 'lan', kind: 'stt', api: 'deepgram', baseUrl: 'http://10.0.0.7:8080/v1', model: 'nova-2' });
    expect(lan.statusCode).toBe(400);
    const other = await create({ name: 'x', kind: 'stt', api: 'whisper.cpp', baseUrl: deepgram.url, model: 'm' });
    expect(other.statusCode).toBe(400);
  });

  it('#18 voice: a streamed voice turn hears through Deepgram and speaks through Cartesia; keys only in headers, never shown', async () => {
    const stt = await create({
      name: 'deepgram',
      kind: 'stt',
      api: 'deepgram',
      baseUrl: deepgram.url,
      apiKey: DEEPGRAM_KEY,
      model: 'nova-2',
      active: true,
    });
    const tts = await create({
      name: 'cartesia',
      kind: 'tts',
      api: 'cartesia',
      baseUrl: cartesia.url,
      apiKey: CARTESIA_KEY,
      model: 'sonic-2',
      voice: VOICE_ID,
      active: true,
    });
    expect(stt.statusCode, stt.body).toBe(201);
    expect(tts.statusCode, tts.body).toBe(201);
    ids.stt = (stt.json() as { id: string }).id;
    ids.tts = (tts.json() as { id: string }).id;
    const list = await w.t.app.inject({ method: 'GET', url: '/api/voice/providers', headers: w.auth(w.admin.key) });
    expect(list.json()).toMatchObject({
      providers: [
        { name: 'cartesia', api: 'cartesia' },
        { name: 'deepgram', api: 'deepgram' },
      ],
    });
    expect(list.body).not.toContain(DEEPGRAM_KEY);
    expect(list.body).not.toContain(CARTESIA_KEY);

    const c = await newConversation(w, w.alice.key);
    const r = await w.t.app.inject({
      method: 'POST',
      url: `/api/conversations/${c}/voice`,
      headers: { ...w.auth(w.alice.key), 'content-type': 'audio/wav', accept: 'text/event-stream' },
      payload: toneWav(2),
    });
    expect(r.statusCode, r.body).toBe(200);
    // Deepgram: the 2 s of 16 kHz PCM in quarter-second frames (no WAV header), the stream closed by Hearth, the key in the handshake header only.
    const stream = deepgram.streams.at(-1)!;
    expect(stream).toMatchObject({
      audioBytes: 64_000,
      frames: 8,
      finalized: true,
      closedByClient: true,
      authorization: `Token ${DEEPGRAM_KEY}`,
    });
    const query = new URL(stream.url, 'http://x').searchParams;
    expect(Object.fromEntries(query)).toMatchObject({ model: 'nova-2', encoding: 'linear16', sample_rate: '16000', channels: '1' });
    expect(stream.url).not.toContain(DEEPGRAM_KEY);
    // The final results joined, the interim one dropped.
    expect(r.body).toContain('"type":"transcript","text":"tell me about the sea"');
    // Cartesia: one request per sentence, its protocol version, the voice id, 16-bit PCM WAV.
    expect(cartesia.requests.map((q) => q.body.transcript).sort()).toEqual(['It is deep and blue!', 'The sea is wide.']);
    expect(cartesia.requests[0]).toMatchObject({
      authorization: `Bearer ${CARTESIA_KEY}`,
      version: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
      body: { model_id: 'sonic-2', voice: { mode: 'id', id: VOICE_ID }, output_format: { container: 'wav', encoding: 'pcm_s16le' } },
    });
    const audio = r.body
      .split('\n\n')
      .filter((f) => f.startsWith('event: audio'))
      .map((f) => Buffer.from((JSON.parse(f.split('data: ')[1]!) as { data: string }).data, 'base64'));
    expect(audio).toHaveLength(2);
    expect(parsePcmWav(audio[0]!)).toMatchObject({ rate: 24_000, channels: 1 });
    expect(wavSeconds(audio[0]!)).toBeCloseTo(0.4, 2); // four words, as the fake speaks them
    const audit = await w.t.app.inject({ method: 'GET', url: '/api/audit?action=voice.turn', headers: w.auth(w.admin.key) });
    expect(audit.body).toContain('"stt":"deepgram"');
    expect(audit.body).toContain('"tts":"cartesia"');
    expect(audit.body).not.toContain(DEEPGRAM_KEY);
  }, 30_000);

  it('#18 voice: a wrong key: the test action gives each vendor’s own words and status, never the key', async () => {
    for (const [id, key, words] of [
      [ids.stt!, 'dg-wrong-key-0000', 'Invalid credentials.'],
      [ids.tts!, 'sk_car_wrong-key-0000', 'Invalid API key'],
    ] as const) {
      await w.t.app.inject({ method: 'PATCH', url: `/api/voice/providers/${id}`, headers: w.auth(w.admin.key), payload: { apiKey: key } });
      const test = await w.t.app.inject({ method: 'POST', url: `/api/voice/providers/${id}/test`, headers: w.auth(w.admin.key) });
      expect(test.json()).toMatchObject({ ok: false, reason: 'VOICE_PROVIDER_FAILED' });
      expect(test.json().error).toContain('401');
      expect(test.json().error).toContain(words);
      expect(test.body).not.toContain(key);
    }
    // A Deepgram that cannot be reached is a clear failure too.
    const gone = await create({ name: 'gone', kind: 'stt', api: 'deepgram', baseUrl: 'http://127.0.0.1:9/v1', model: 'nova-2' });
    const test = await w.t.app.inject({
      method: 'POST',
      url: `/api/voice/providers/${(gone.json() as { id: string }).id}/test`,
      headers: w.auth(w.admin.key),
    });
    expect(test.json()).toMatchObject({ ok: false, reason: 'VOICE_PROVIDER_FAILED' });
  }, 30_000);

  it('#18 voice: with the right keys again, the test action passes for both', async () => {
    for (const [id, key] of [
      [ids.stt!, DEEPGRAM_KEY],
      [ids.tts!, CARTESIA_KEY],
    ] as const) {
      await w.t.app.inject({ method: 'PATCH', url: `/api/voice/providers/${id}`, headers: w.auth(w.admin.key), payload: { apiKey: key } });
      const test = await w.t.app.inject({ method: 'POST', url: `/api/voice/providers/${id}/test`, headers: w.auth(w.admin.key) });
      expect(test.json()).toMatchObject({ ok: true });
    }
  }, 30_000);
});
