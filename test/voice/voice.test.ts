import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newConversation, startChatWorld, type ChatWorld } from '../companions/helpers.js';
import { startFakeSpeech, toneWav, type FakeSpeech } from '../fakes/speech-server.js';
import { runTool } from '../../src/voice/process.js';
import { createPocketsphinx } from '../../src/voice/engines.js';
import { ffmpeg, spoken, tempLeft, wavSeconds } from './fixtures.js';

const PHRASE = 'what is the weather like today';
/** pocketsphinx is imperfect: these are the words of PHRASE it recognises reliably from espeak-ng. */
const KEY_WORDS = ['weather', 'like', 'today'];
const PROVIDER_KEY = 'sk-speech-provider-key-4242';

let w: ChatWorld;
let speech: FakeSpeech;

beforeAll(async () => {
  w = await startChatWorld({ env: { HEARTH_VOICE_MAX_BYTES: String(2 * 1024 * 1024), HEARTH_VOICE_MAX_SECONDS: '30' } });
  w.fake.fallback = { text: 'Once upon a time, the sky was clear.' };
  speech = await startFakeSpeech({ apiKey: PROVIDER_KEY, transcript: 'tell me about the sea' });
}, 60_000);
afterAll(async () => {
  await speech?.close();
  await w?.close();
});

const upload = (key: string, conversationId: string, body: Buffer, contentType = 'audio/wav', query = '') =>
  w.t.app.inject({
    method: 'POST',
    url: `/api/conversations/${conversationId}/voice${query}`,
    headers: { ...w.auth(key), 'content-type': contentType },
    payload: body,
  });
const messages = async (key: string, conversationId: string) =>
  (await w.t.app.inject({ method: 'GET', url: `/api/conversations/${conversationId}/messages`, headers: w.auth(key) })).json() as {
    messages: Array<{ role: string; content: string; id: string }>;
  };

describe('#18 voice: the offline default (CH-5)', () => {
  it('#18 voice: espeak-ng speech is transcribed by pocketsphinx, the familiar answers, and the reply is spoken as a valid WAV', async () => {
    const c = await newConversation(w, w.alice.key);
    const r = await upload(w.alice.key, c, spoken(PHRASE));
    expect(r.statusCode, r.body).toBe(200);
    const body = r.json() as { transcript: string; reply: { text: string }; audio: { url: string; contentType: string } };
    expect(
      KEY_WORDS.some((word) => body.transcript.split(' ').includes(word)),
      body.transcript,
    ).toBe(true);
    expect(body.reply.text).toBe('Once upon a time, the sky was clear.');
    // The same turn as text: the transcript is the person's message, the model saw it.
    const stored = await messages(w.alice.key, c);
    expect(stored.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(stored.messages[0]!.content).toBe(body.transcript);
    expect(JSON.stringify(w.fake.requests.at(-1)?.body)).toContain(body.transcript);
    // The spoken reply: served to alice only, a real WAV of plausible length.
    expect(body.audio.contentType).toBe('audio/wav');
    const audio = await w.t.app.inject({ method: 'GET', url: body.audio.url, headers: w.auth(w.alice.key) });
    expect(audio.statusCode).toBe(200);
    expect(audio.headers['content-type']).toBe('audio/wav');
    expect(audio.rawPayload.subarray(0, 4).toString('ascii')).toBe('RIFF');
    expect(audio.rawPayload.subarray(8, 12).toString('ascii')).toBe('WAVE');
    expect(wavSeconds(audio.rawPayload)).toBeGreaterThan(1);
    expect(wavSeconds(audio.rawPayload)).toBeLessThan(10);
    const stolen = await w.t.app.inject({ method: 'GET', url: body.audio.url, headers: w.auth(w.bob.key) });
    expect(stolen.statusCode).toBe(404);
    expect(tempLeft(w.t.dataDir)).toEqual([]);
  }, 60_000);

  it('#18 voice: an OGG/Opus upload in a multipart form is transcribed, and the reply can be asked for as OGG/Opus', async () => {
    const c = await newConversation(w, w.alice.key);
    const ogg = ffmpeg(spoken(PHRASE), ['-c:a', 'libopus', '-b:a', '48k', '-f', 'ogg']);
    const form = new FormData();
    form.set('audio', new Blob([new Uint8Array(ogg)], { type: 'application/octet-stream' }), 'note.ogg');
    const req = new Request('http://x/', { method: 'POST', body: form });
    const r = await w.t.app.inject({
      method: 'POST',
      url: `/api/conversations/${c}/voice?format=ogg`,
      headers: { ...w.auth(w.alice.key), 'content-type': req.headers.get('content-type')! },
      payload: Buffer.from(await req.arrayBuffer()),
    });
    expect(r.statusCode, r.body).toBe(200);
    const body = r.json() as { transcript: string; audio: { url: string; contentType: string } };
    expect(
      KEY_WORDS.some((word) => body.transcript.split(' ').includes(word)),
      body.transcript,
    ).toBe(true);
    expect(body.audio.contentType).toBe('audio/ogg');
    const audio = await w.t.app.inject({ method: 'GET', url: body.audio.url, headers: w.auth(w.alice.key) });
    expect(audio.rawPayload.subarray(0, 4).toString('ascii')).toBe('OggS');
    expect(audio.rawPayload.includes(Buffer.from('OpusHead'))).toBe(true);
  }, 60_000);

  it('#18 voice: a stored message is spoken for its own person only', async () => {
    const c = await newConversation(w, w.alice.key);
    await w.t.app.inject({
      method: 'POST',
      url: `/api/conversations/${c}/messages`,
      headers: w.auth(w.alice.key),
      payload: { text: 'hi' },
    });
    const reply = (await messages(w.alice.key, c)).messages.find((m) => m.role === 'assistant')!;
    const r = await w.t.app.inject({
      method: 'POST',
      url: `/api/conversations/${c}/messages/${reply.id}/speech`,
      headers: w.auth(w.alice.key),
    });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.headers['content-type']).toBe('audio/wav');
    expect(wavSeconds(r.rawPayload)).toBeGreaterThan(0.5);
    const other = await w.t.app.inject({
      method: 'POST',
      url: `/api/conversations/${c}/messages/${reply.id}/speech`,
      headers: w.auth(w.bob.key),
    });
    expect(other.statusCode).toBe(404);
  }, 30_000);

  it('#18 voice: the offline test action proves espeak-ng, ffmpeg and pocketsphinx work', async () => {
    const r = await w.t.app.inject({ method: 'POST', url: '/api/voice/offline/test', headers: w.auth(w.admin.key) });
    expect(r.json()).toMatchObject({ ok: true, provider: 'offline' });
    const member = await w.t.app.inject({ method: 'POST', url: '/api/voice/offline/test', headers: w.auth(w.alice.key) });
    expect(member.statusCode).toBe(403);
  }, 30_000);

  it('#18 voice: without the Debian packages, the offline test action says which one is missing', async () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      const test = await w.t.app.inject({ method: 'POST', url: '/api/voice/offline/test', headers: w.auth(w.admin.key) });
      expect(test.json()).toMatchObject({ ok: false, reason: 'VOICE_TOOL_MISSING', package: 'espeak-ng' });
      expect(test.json().error).toContain('espeak-ng');
    } finally {
      process.env.PATH = path;
    }
  }, 30_000);

  it('#18 voice: a missing ffmpeg is a 503 naming the package, and a missing model names pocketsphinx-en-us', async () => {
    const c = await newConversation(w, w.alice.key);
    const audio = spoken(PHRASE); // made before PATH is emptied
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    let r;
    try {
      r = await upload(w.alice.key, c, audio);
    } finally {
      process.env.PATH = path;
    }
    expect(r.statusCode).toBe(503);
    expect(r.json()).toMatchObject({ code: 'UNAVAILABLE', details: { reason: 'VOICE_TOOL_MISSING', package: 'ffmpeg' } });
    expect(r.json().error).toContain('ffmpeg');
    expect((await messages(w.alice.key, c)).messages).toEqual([]);
    expect(tempLeft(w.t.dataDir)).toEqual([]);
    const noModel = createPocketsphinx({ dataDir: w.t.dataDir, timeoutMs: 5000, maxBytes: 1000 }, '/nonexistent/model');
    await expect(noModel.transcribe(toneWav(0.2))).rejects.toMatchObject({
      details: { reason: 'VOICE_TOOL_MISSING', package: 'pocketsphinx-en-us' },
    });
    const err = await runTool({ program: 'hearth-no-such-speech-program', pkg: 'pocketsphinx' }, [], {
      timeoutMs: 5000,
      maxOutputBytes: 10,
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'UNAVAILABLE', details: { reason: 'VOICE_TOOL_MISSING', package: 'pocketsphinx' } });
  }, 30_000);
});

describe('#18 voice: bad audio is refused clearly and stores nothing (CH-5, DATA-3)', () => {
  const png = Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), Buffer.alloc(200, 7)]);
  const cases: Array<[string, () => Buffer, string, number, string | undefined]> = [
    ['a PNG sent as audio/wav', () => png, 'audio/wav', 415, 'VOICE_NOT_AUDIO'],
    ['a truncated WAV (header only)', () => spoken(PHRASE).subarray(0, 60), 'audio/wav', 415, 'VOICE_NOT_AUDIO'],
    [
      'a WAV header over random bytes',
      () => Buffer.concat([Buffer.from('RIFF\0\0\0\0WAVE', 'ascii'), Buffer.alloc(5000, 0x55)]),
      'audio/wav',
      415,
      'VOICE_NOT_AUDIO',
    ],
    ['JSON instead of audio', () => Buffer.from('{"text":"hello"}'), 'application/json', 415, undefined],
    ['an upload over the size limit', () => Buffer.concat([toneWav(1), Buffer.alloc(3 * 1024 * 1024)]), 'audio/wav', 413, undefined],
    [
      '11 minutes of silence (OGG/Opus, small but too long)',
      () =>
        ffmpeg(undefined, ['-t', '660', '-c:a', 'libopus', '-b:a', '6k', '-f', 'ogg'], ['-f', 'lavfi', '-i', 'anullsrc=r=16000:cl=mono']),
      'audio/ogg',
      413,
      'VOICE_TOO_LONG',
    ],
    [
      'two seconds of silence (no speech)',
      () => ffmpeg(undefined, ['-t', '2', '-c:a', 'pcm_s16le', '-f', 'wav'], ['-f', 'lavfi', '-i', 'anullsrc=r=16000:cl=mono']),
      'audio/wav',
      422,
      'VOICE_NO_SPEECH',
    ],
  ];
  for (const [name, make, type, status, reason] of cases) {
    it(`#18 voice: ${name} → ${status}`, async () => {
      const c = await newConversation(w, w.alice.key);
      const calls = w.fake.requests.length;
      const r = await upload(w.alice.key, c, make(), type);
      expect(r.statusCode, r.body).toBe(status);
      const body = r.json() as { error: string; requestId: string; details?: { reason?: string } };
      expect(body.requestId).toBeTruthy();
      expect(body.error).not.toMatch(/\bat \w+ \(|node:|ffmpeg version/);
      if (reason) expect(body.details?.reason).toBe(reason);
      expect((await messages(w.alice.key, c)).messages).toEqual([]);
      expect(w.fake.requests.length).toBe(calls);
      expect(tempLeft(w.t.dataDir)).toEqual([]);
    }, 60_000);
  }

  it("#18 voice: someone else's conversation is not found, and nothing is stored in it", async () => {
    const c = await newConversation(w, w.alice.key);
    const r = await upload(w.bob.key, c, spoken(PHRASE));
    expect(r.statusCode).toBe(404);
    expect((await messages(w.alice.key, c)).messages).toEqual([]);
    expect(tempLeft(w.t.dataDir)).toEqual([]);
  }, 30_000);
});

describe('#18 voice: OpenAI-compatible speech providers (CH-5, DATA-1, LLM-5)', () => {
  const create = (payload: Record<string, unknown>) =>
    w.t.app.inject({ method: 'POST', url: '/api/voice/providers', headers: w.auth(w.admin.key), payload });

  it('#18 voice: providers need https or loopback, and only admins configure them', async () => {
    const plain = await create({ name: 'lan', kind: 'stt', baseUrl: 'http://192.168.1.5:8000/v1', model: 'whisper-1' });
    expect(plain.statusCode).toBe(400);
    expect(plain.json()).toMatchObject({ details: { reason: 'VOICE_INVALID' } });
    const creds = await create({ name: 'creds', kind: 'stt', baseUrl: 'https://u:p@example.com/v1', model: 'whisper-1' });
    expect(creds.statusCode).toBe(400);
    const member = await w.t.app.inject({
      method: 'POST',
      url: '/api/voice/providers',
      headers: w.auth(w.alice.key),
      payload: { name: 'x', kind: 'stt', baseUrl: speech.url, model: 'whisper-1' },
    });
    expect(member.statusCode).toBe(403);
  });

  it('#18 voice: a voice turn through the configured providers; the key is sealed, masked and sent only to the provider', async () => {
    const stt = await create({ name: 'whisper', kind: 'stt', baseUrl: speech.url, apiKey: PROVIDER_KEY, model: 'whisper-1', active: true });
    const tts = await create({
      name: 'tts',
      kind: 'tts',
      baseUrl: speech.url,
      apiKey: PROVIDER_KEY,
      model: 'tts-1',
      voice: 'nova',
      active: true,
    });
    expect(stt.statusCode, stt.body).toBe(201);
    expect(tts.statusCode).toBe(201);
    const list = await w.t.app.inject({ method: 'GET', url: '/api/voice/providers', headers: w.auth(w.admin.key) });
    expect(list.body).not.toContain(PROVIDER_KEY);
    expect(list.json()).toMatchObject({ providers: [{ name: 'tts', apiKey: expect.stringContaining('4242') }, { name: 'whisper' }] });

    const c = await newConversation(w, w.alice.key);
    const r = await upload(w.alice.key, c, toneWav(1));
    expect(r.statusCode, r.body).toBe(200);
    const body = r.json() as { transcript: string; audio: { url: string } };
    expect(body.transcript).toBe('tell me about the sea');
    const [heard, said] = speech.requests.slice(-2);
    expect(heard).toMatchObject({
      path: '/v1/audio/transcriptions',
      authorization: `Bearer ${PROVIDER_KEY}`,
      body: { model: 'whisper-1', riff: 'RIFF' },
    });
    expect(said).toMatchObject({
      path: '/v1/audio/speech',
      body: { model: 'tts-1', voice: 'nova', input: 'Once upon a time, the sky was clear.' },
    });
    const audio = await w.t.app.inject({ method: 'GET', url: body.audio.url, headers: w.auth(w.alice.key) });
    expect(wavSeconds(audio.rawPayload)).toBeCloseTo(0.5, 1);

    const test = await w.t.app.inject({
      method: 'POST',
      url: `/api/voice/providers/${(stt.json() as { id: string }).id}/test`,
      headers: w.auth(w.admin.key),
    });
    expect(test.json()).toMatchObject({ ok: true });
    // A wrong key: the test says what the provider said, never the key.
    const id = (tts.json() as { id: string }).id;
    await w.t.app.inject({
      method: 'PATCH',
      url: `/api/voice/providers/${id}`,
      headers: w.auth(w.admin.key),
      payload: { apiKey: 'sk-wrong-key-0000' },
    });
    const bad = await w.t.app.inject({ method: 'POST', url: `/api/voice/providers/${id}/test`, headers: w.auth(w.admin.key) });
    expect(bad.json()).toMatchObject({ ok: false, reason: 'VOICE_PROVIDER_FAILED' });
    expect(bad.json().error).toContain('Incorrect API key');
    expect(bad.body).not.toContain('sk-wrong-key-0000');

    const audit = await w.t.app.inject({ method: 'GET', url: '/api/audit?action=voice.turn', headers: w.auth(w.admin.key) });
    expect(audit.body).toContain('voice.turn');
    expect(audit.body).not.toContain(PROVIDER_KEY);
    // Back to the offline defaults for the other suites.
    for (const p of [stt, tts]) {
      await w.t.app.inject({
        method: 'DELETE',
        url: `/api/voice/providers/${(p.json() as { id: string }).id}`,
        headers: w.auth(w.admin.key),
      });
    }
  }, 30_000);
});
