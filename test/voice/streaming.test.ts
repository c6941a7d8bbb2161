import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newConversation, startChatWorld, type ChatWorld } from '../companions/helpers.js';
import { startFakeSpeech, toneWav, type FakeSpeech } from '../fakes/speech-server.js';
import { pcmToWav } from '../../src/voice/audio.js';
import { createOpenAISpeaker, createOpenAITranscriber } from '../../src/voice/engines.js';
import { createSentenceSplitter } from '../../src/voice/sentences.js';
import { createVoice, type VoiceEvent } from '../../src/voice/service.js';
import { parsePcmWav } from '../../src/voice/wav.js';
import type { SpeechProviders } from '../../src/voice/providers.js';
import type { TurnEvent, TurnRunner } from '../../src/companions/index.js';
import type { AuditLog } from '../../src/security/audit/index.js';
import { ffmpeg, spoken, tempLeft, wavSeconds } from './fixtures.js';

const REPLY = 'The sea is wide. It is deep and blue! Do you like it?';

/** Server-Sent Events of a response body, in order. */
function events(body: string): Array<{ event: string; data: Record<string, unknown> }> {
  return body
    .split('\n\n')
    .filter((f) => f.includes('data: '))
    .map((f) => {
      const event = /^event: (.*)$/m.exec(f)?.[1] ?? 'message';
      const data = f
        .split('\n')
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice(6))
        .join('\n');
      return { event, data: JSON.parse(data) as Record<string, unknown> };
    });
}

describe('#18 voice: sentences are cut as the reply streams (CH-5)', () => {
  it('#18 voice: a sentence is given out as soon as it ends, the rest at the end, nothing inside a code block', () => {
    const s = createSentenceSplitter();
    expect(s.push('Hello the')).toEqual([]);
    expect(s.push('re. How are')).toEqual(['Hello there.']);
    expect(s.push(' you? Pi is 3.14 ')).toEqual(['How are you?']); // a "." needs white space after it: 3.14 stays whole
    expect(s.push('exactly.\nSee:\n```\nx = 1. y = 2.\n')).toEqual(['Pi is 3.14 exactly.', 'See:']);
    expect(s.push('```\nDone! ')).toEqual(['```\nx = 1. y = 2.\n```', 'Done!']);
    expect(s.push('... ')).toEqual([]);
    expect(s.push('Bye')).toEqual([]);
    expect(s.end()).toEqual(['Bye']);
    expect(s.end()).toEqual([]);
  });
});

describe('#18 voice: plain 16-bit PCM WAV is read without ffmpeg (CH-5)', () => {
  const header = (fields: { tag?: number; channels?: number; rate?: number; bits?: number; dataSize?: number }, data: Buffer) => {
    const { tag = 1, channels = 1, rate = 16_000, bits = 16 } = fields;
    const h = Buffer.alloc(44);
    h.write('RIFF', 0, 'ascii');
    h.writeUInt32LE(36 + data.length, 4);
    h.write('WAVEfmt ', 8, 'ascii');
    h.writeUInt32LE(16, 16);
    h.writeUInt16LE(tag, 20);
    h.writeUInt16LE(channels, 22);
    h.writeUInt32LE(rate, 24);
    h.writeUInt32LE((rate * channels * bits) / 8, 28);
    h.writeUInt16LE((channels * bits) / 8, 32);
    h.writeUInt16LE(bits, 34);
    h.write('data', 36, 'ascii');
    h.writeUInt32LE(fields.dataSize ?? data.length, 40);
    return Buffer.concat([h, data]);
  };

  it('#18 voice: reads PCM WAV (espeak-ng streamed sizes too) and leaves everything else to ffmpeg', () => {
    const pcm = Buffer.alloc(3200, 1);
    expect(parsePcmWav(header({}, pcm))).toMatchObject({ rate: 16_000, channels: 1 });
    expect(parsePcmWav(header({}, pcm))!.pcm.length).toBe(3200);
    // A data size far past the end (espeak-ng on a pipe, a cut file): only the bytes that are there, whole frames.
    expect(parsePcmWav(header({ dataSize: 0x7ffff000, channels: 2 }, Buffer.alloc(3203)))!.pcm.length).toBe(3200);
    const espeak = parsePcmWav(spoken('hello'));
    expect(espeak).toMatchObject({ rate: 22_050, channels: 1 });
    expect(espeak!.pcm.length).toBeGreaterThan(10_000);
    // Not for this reader: float, 8-bit, a wrong block size, no fmt chunk, a PNG.
    expect(parsePcmWav(header({ tag: 3, bits: 32 }, pcm))).toBeUndefined();
    expect(parsePcmWav(header({ bits: 8 }, pcm))).toBeUndefined();
    expect(parsePcmWav(header({ channels: 0 }, pcm))).toBeUndefined();
    expect(parsePcmWav(Buffer.concat([Buffer.from('RIFF\0\0\0\0WAVEdata', 'ascii'), Buffer.alloc(100)]))).toBeUndefined();
    expect(parsePcmWav(Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'))).toBeUndefined();
  });

  describe('over HTTP', () => {
    let w: ChatWorld;
    let speech: FakeSpeech;
    beforeAll(async () => {
      w = await startChatWorld({ env: { HEARTH_VOICE_MAX_SECONDS: '5', HEARTH_RATE_CHAT_TURNS: '1000' } });
      w.fake.fallback = { text: REPLY };
      speech = await startFakeSpeech({ transcript: 'tell me about the sea' });
      for (const kind of ['stt', 'tts'] as const) {
        const r = await w.t.app.inject({
          method: 'POST',
          url: '/api/voice/providers',
          headers: w.auth(w.admin.key),
          payload: { name: kind, kind, baseUrl: speech.url, model: 'fake', active: true },
        });
        expect(r.statusCode, r.body).toBe(201);
      }
    }, 60_000);
    afterAll(async () => {
      await speech?.close();
      await w?.close();
    });
    const upload = (c: string, body: Buffer, accept = 'application/json') =>
      w.t.app.inject({
        method: 'POST',
        url: `/api/conversations/${c}/voice`,
        headers: { ...w.auth(w.alice.key), 'content-type': 'audio/wav', accept },
        payload: body,
      });
    const withoutPrograms = async <T>(f: () => Promise<T>): Promise<T> => {
      const path = process.env.PATH;
      process.env.PATH = '/nonexistent';
      try {
        return await f();
      } finally {
        process.env.PATH = path;
      }
    };

    it('#18 voice: a 16 kHz WAV turn needs no ffmpeg in or out; another rate still goes through ffmpeg', async () => {
      const c = await newConversation(w, w.alice.key);
      const r = await withoutPrograms(() => upload(c, toneWav(1)));
      expect(r.statusCode, r.body).toBe(200);
      const body = r.json() as { transcript: string; audio: { url: string } };
      expect(body.transcript).toBe('tell me about the sea');
      const heard = speech.requests.filter((q) => q.path === '/v1/audio/transcriptions').at(-1)!;
      expect(heard.body).toMatchObject({ riff: 'RIFF', fileBytes: 44 + 32_000 });
      const audio = await w.t.app.inject({ method: 'GET', url: body.audio.url, headers: w.auth(w.alice.key) });
      expect(wavSeconds(audio.rawPayload)).toBeCloseTo(0.5, 2);
      const resampled = ffmpeg(toneWav(1), ['-ar', '22050', '-c:a', 'pcm_s16le', '-f', 'wav']);
      const other = await withoutPrograms(() => upload(c, resampled));
      expect(other.statusCode).toBe(503);
      expect(other.json()).toMatchObject({ details: { reason: 'VOICE_TOOL_MISSING', package: 'ffmpeg' } });
    }, 30_000);

    it('#18 voice: the limits hold on the fast path: too long is 413, a few samples are 415, nothing stored, no temp file', async () => {
      const c = await newConversation(w, w.alice.key);
      const calls = w.fake.requests.length;
      const long = await withoutPrograms(() => upload(c, toneWav(6)));
      expect(long.statusCode).toBe(413);
      expect(long.json()).toMatchObject({ details: { reason: 'VOICE_TOO_LONG' } });
      const short = await withoutPrograms(() => upload(c, pcmToWav(Buffer.alloc(1000))));
      expect(short.statusCode).toBe(415);
      expect(short.json()).toMatchObject({ details: { reason: 'VOICE_NOT_AUDIO' } });
      expect(w.fake.requests.length).toBe(calls);
      const stored = await w.t.app.inject({ method: 'GET', url: `/api/conversations/${c}/messages`, headers: w.auth(w.alice.key) });
      expect((stored.json() as { messages: unknown[] }).messages).toEqual([]);
      expect(tempLeft(w.t.dataDir)).toEqual([]);
    }, 30_000);

    it('#18 voice: with Accept: text/event-stream the transcript, the text and each sentence’s audio stream, then done with the clip', async () => {
      const c = await newConversation(w, w.alice.key);
      const before = speech.requests.length;
      const r = await upload(c, toneWav(1), 'text/event-stream');
      expect(r.statusCode, r.body).toBe(200);
      expect(r.headers['content-type']).toContain('text/event-stream');
      const list = events(r.body);
      const names = list.map((e) => e.event);
      expect(names[0]).toBe('transcript');
      expect(list[0]!.data).toMatchObject({ type: 'transcript', text: 'tell me about the sea' });
      expect(names[1]).toBe('start');
      expect(names.at(-1)).toBe('done');
      const deltas = list.filter((e) => e.event === 'delta').map((e) => e.data.text as string);
      expect(deltas.join('')).toBe(REPLY);
      // One speech request and one playable WAV per sentence, in order.
      const said = speech.requests.slice(before).filter((q) => q.path === '/v1/audio/speech');
      // (A sentence may be asked for while the one before is still being spoken: the requests can cross, the audio cannot.)
      expect(said.map((q) => q.body.input).sort()).toEqual(['Do you like it?', 'It is deep and blue!', 'The sea is wide.']);
      const audio = list.filter((e) => e.event === 'audio').map((e) => e.data);
      expect(audio.map((a) => [a.index, a.text, a.contentType])).toEqual([
        [0, 'The sea is wide.', 'audio/wav'],
        [1, 'It is deep and blue!', 'audio/wav'],
        [2, 'Do you like it?', 'audio/wav'],
      ]);
      for (const a of audio) expect(wavSeconds(Buffer.from(a.data as string, 'base64'))).toBeCloseTo(0.5, 2);
      const done = list.at(-1)!.data as { transcript: string; reply: { text: string }; audio: { url: string; contentType: string } };
      expect(done).toMatchObject({ type: 'done', transcript: 'tell me about the sea', reply: { text: REPLY } });
      const clip = await w.t.app.inject({ method: 'GET', url: done.audio.url, headers: w.auth(w.alice.key) });
      expect(wavSeconds(clip.rawPayload)).toBeCloseTo(1.5, 2);
      expect((await w.t.app.inject({ method: 'GET', url: done.audio.url, headers: w.auth(w.bob.key) })).statusCode).toBe(404);
      // Stored as a typed turn, audited as a voice turn.
      const stored = await w.t.app.inject({ method: 'GET', url: `/api/conversations/${c}/messages`, headers: w.auth(w.alice.key) });
      expect((stored.json() as { messages: Array<{ content: string }> }).messages.map((m) => m.content)).toEqual([
        'tell me about the sea',
        REPLY,
      ]);
      const audit = await w.t.app.inject({ method: 'GET', url: '/api/audit?action=voice.turn', headers: w.auth(w.admin.key) });
      expect(audit.body).toContain('"streamed":true');
    }, 30_000);

    it('#18 voice: a streamed turn with bad audio is a plain HTTP error, not a stream, and stores nothing', async () => {
      const c = await newConversation(w, w.alice.key);
      const png = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(100)]);
      const r = await upload(c, png, 'text/event-stream');
      expect(r.statusCode).toBe(415);
      expect(r.headers['content-type']).toContain('application/json');
      const stored = await w.t.app.inject({ method: 'GET', url: `/api/conversations/${c}/messages`, headers: w.auth(w.alice.key) });
      expect((stored.json() as { messages: unknown[] }).messages).toEqual([]);
    }, 30_000);

    it('#18 voice: when speech fails mid-stream the reply text still arrives and is stored, with a speech_error', async () => {
      const c = await newConversation(w, w.alice.key);
      const list = await w.t.app.inject({ method: 'GET', url: '/api/voice/providers', headers: w.auth(w.admin.key) });
      const tts = (list.json() as { providers: Array<{ id: string; kind: string }> }).providers.find((p) => p.kind === 'tts')!;
      await w.t.app.inject({
        method: 'PATCH',
        url: `/api/voice/providers/${tts.id}`,
        headers: w.auth(w.admin.key),
        payload: { baseUrl: `${speech.url}/gone` },
      });
      try {
        const r = await upload(c, toneWav(1), 'text/event-stream');
        const names = events(r.body).map((e) => e.event);
        expect(names).toContain('speech_error');
        expect(names).not.toContain('audio');
        const done = events(r.body).at(-1)!;
        expect(done.data).toMatchObject({ type: 'done', reply: { text: REPLY }, audio: null });
      } finally {
        await w.t.app.inject({
          method: 'PATCH',
          url: `/api/voice/providers/${tts.id}`,
          headers: w.auth(w.admin.key),
          payload: { baseUrl: speech.url },
        });
      }
    }, 30_000);
  });
});

describe('#18 voice: the first sentence is spoken before the model has finished (CH-5)', () => {
  let speech: FakeSpeech;
  beforeAll(async () => {
    speech = await startFakeSpeech({ transcript: 'hello' });
  });
  afterAll(async () => {
    await speech?.close();
  });

  it('#18 voice: the audio of sentence one is out while the turn still waits to write sentence two', async () => {
    const engine = { baseUrl: speech.url, model: 'fake', timeoutMs: 5000, maxBytes: 1_000_000 };
    const providers = {
      active: async (kind: 'stt' | 'tts') => (kind === 'stt' ? createOpenAITranscriber(engine) : createOpenAISpeaker(engine)),
    } as unknown as SpeechProviders;
    const seen: VoiceEvent[] = [];
    let firstAudio!: () => void;
    const audioOut = new Promise<void>((resolve) => (firstAudio = resolve));
    // The turn holds its second sentence back until the first one's audio was emitted: a voice that
    // spoke only after the whole reply would never get there.
    const turns: TurnRunner = {
      async run(request, onEvent = () => undefined) {
        const emit = (e: TurnEvent) => onEvent(e);
        emit({ type: 'start', conversationId: 'c1', messageId: 'm1' });
        emit({ type: 'delta', text: 'First things first. Then' });
        await audioOut;
        emit({ type: 'delta', text: ' the rest.' });
        return { conversationId: 'c1', messageId: 'm1', text: `First things first. Then the rest. (${request.text})` };
      },
    };
    const audit = { record: async () => undefined } as unknown as AuditLog;
    const voice = createVoice({
      providers,
      turns,
      audit,
      limits: { dataDir: '/nonexistent', maxBytes: 1_000_000, maxSeconds: 5, timeoutMs: 5000, maxSpeechChars: 2000 },
    });
    const result = await voice.streamTurn(
      toneWav(1),
      { channel: 'voice', userId: 'u1', familiarId: 'f1' },
      { type: 'user', id: 'u1' },
      'wav',
      (e) => {
        seen.push(e);
        if (e.type === 'audio') firstAudio();
      },
    );
    const order = seen.map((e) => (e.type === 'audio' ? `audio:${e.text}` : e.type === 'delta' ? `delta:${e.text}` : e.type));
    expect(order).toEqual([
      'transcript',
      'start',
      'delta:First things first. Then',
      'audio:First things first.',
      'delta: the rest.',
      'audio:Then the rest.',
    ]);
    expect(result.speech?.contentType).toBe('audio/wav');
    expect(wavSeconds(result.speech!.audio)).toBeCloseTo(1, 2);
  }, 20_000);
});
