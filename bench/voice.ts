// `npm run bench -- voice [--json] [--runs N] [--sentences N]`: Hearth's own voice latency and the
// offline default's accuracy (CH-5).
//   - firstAudioMsP50/P95 (the target: p50 under 100 ms): a streamed voice turn over real
//     HTTP on loopback (`Accept: text/event-stream`) of a 3-second 16 kHz WAV, instant fake speech
//     providers and an instant fake model; from the end of the upload (the request body flushed to
//     the socket) to the first byte of the first `audio` event. Hearth's own latency.
//   - voiceTurnMsP50/P95: a whole JSON voice turn (same upload and fakes, through inject), end of
//     upload to the complete answer.
//   - offlineRoundTripMs: the same turn with the offline defaults (pocketsphinx, espeak-ng) on a ~3 s clip (median).
//   - offlineWer: word error rate of pocketsphinx on sentences spoken by espeak-ng.
import { spawnSync } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { startChatWorld, newConversation } from '../test/companions/helpers.js';
import { startFakeSpeech, toneWav } from '../test/fakes/speech-server.js';

const SENTENCES = [
  'what is the weather like today',
  'please tell me a story',
  'i would like a cup of coffee',
  'turn on the lights in the kitchen',
  'how are you doing this morning',
  'what time is it now',
  'remind me to call my mother',
  'the cat is sleeping on the chair',
  'i am going to the store',
  'can you help me with my homework',
];

const spoken = (text: string) => spawnSync('espeak-ng', ['-v', 'en-us', '-s', '150', '--stdin', '--stdout'], { input: text }).stdout;
const arg = (argv: string[], name: string, fallback: number) => {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] ? Number(argv[i + 1]) : fallback;
};
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! * 10) / 10;
};

/** Word-level Levenshtein distance over the reference length. */
function wer(reference: string, hypothesis: string): { errors: number; words: number } {
  const r = reference.split(' ').filter(Boolean);
  const h = hypothesis.split(' ').filter(Boolean);
  let prev = Array.from({ length: h.length + 1 }, (_, j) => j);
  for (let i = 1; i <= r.length; i++) {
    const row = [i];
    for (let j = 1; j <= h.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (r[i - 1] === h[j - 1] ? 0 : 1));
    prev = row;
  }
  return { errors: prev[h.length]!, words: r.length };
}

/** One streamed voice turn over HTTP: ms from the upload's last byte written to the first `audio` event's first byte. */
function firstAudio(port: number, path: string, headers: Record<string, string>, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    let uploaded = 0;
    let first = 0;
    let seen = '';
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        headers: { ...headers, accept: 'text/event-stream', 'content-length': body.length },
      },
      (res) => {
        if (res.statusCode !== 200) reject(new Error(`streamed voice turn: ${res.statusCode}`));
        res.on('data', (chunk: Buffer) => {
          if (first) return;
          const text = seen + chunk.toString('latin1');
          if (text.includes('event: audio')) first = performance.now();
          seen = text.slice(-16); // an event name split across two chunks
        });
        res.on('end', () => (first ? resolve(first - uploaded) : reject(new Error('no audio event'))));
      },
    );
    req.on('error', reject);
    req.end(body, () => {
      uploaded = performance.now();
    });
  });
}

export async function main(argv: string[]): Promise<void> {
  const json = argv.includes('--json');
  const runs = arg(argv, '--runs', 30);
  const sentences = arg(argv, '--sentences', 50);
  const w = await startChatWorld({ env: { HEARTH_RATE_CHAT_TURNS: '100000' } });
  w.fake.fallback = { text: 'It is sunny.' };
  const speech = await startFakeSpeech({ transcript: 'what is the weather like' });
  const voice = (c: string, body: Buffer) =>
    w.t.app.inject({
      method: 'POST',
      url: `/api/conversations/${c}/voice`,
      headers: { ...w.auth(w.alice.key), 'content-type': 'audio/wav' },
      payload: body,
    });
  try {
    // Offline defaults first (no provider configured).
    const clip = spoken('what is the weather like today and will it rain tomorrow');
    const c = await newConversation(w, w.alice.key);
    const offline: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      const r = await voice(c, clip);
      if (r.statusCode !== 200) throw new Error(`offline voice turn: ${r.statusCode} ${r.body}`);
      offline.push(performance.now() - t0);
    }
    // Word error rate: the voice service's transcription of espeak-ng speech.
    let errors = 0;
    let words = 0;
    for (let i = 0; i < sentences; i++) {
      const text = SENTENCES[i % SENTENCES.length]!;
      const heard = await w.t.hearth.voice.transcribe(spoken(text)).catch(() => ({ text: '' }));
      const e = wer(text, heard.text.toLowerCase());
      errors += e.errors;
      words += e.words;
    }
    // Instant fake providers.
    for (const kind of ['stt', 'tts'] as const) {
      const r = await w.t.app.inject({
        method: 'POST',
        url: '/api/voice/providers',
        headers: w.auth(w.admin.key),
        payload: { name: kind, kind, baseUrl: speech.url, model: 'fake', active: true },
      });
      if (r.statusCode !== 201) throw new Error(`provider: ${r.body}`);
    }
    const upload = toneWav(3);
    const times: number[] = [];
    for (let i = 0; i < runs + 3; i++) {
      const t0 = performance.now();
      const r = await voice(c, upload);
      if (r.statusCode !== 200) throw new Error(`voice turn: ${r.statusCode} ${r.body}`);
      if (i >= 3) times.push(performance.now() - t0); // three warm-up turns
    }
    await w.t.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = w.t.app.server.address() as AddressInfo;
    const streamed: number[] = [];
    for (let i = 0; i < runs + 3; i++) {
      const ms = await firstAudio(port, `/api/conversations/${c}/voice`, { ...w.auth(w.alice.key), 'content-type': 'audio/wav' }, upload);
      if (i >= 3) streamed.push(ms);
    }
    const figures = {
      firstAudioMsP50: pct(streamed, 50),
      firstAudioMsP95: pct(streamed, 95),
      voiceTurnMsP50: pct(times, 50),
      voiceTurnMsP95: pct(times, 95),
      offlineRoundTripMs: pct(offline, 50),
      offlineWer: Math.round((errors / words) * 1000) / 1000,
      runs,
      sentences,
    };
    if (json) console.log(JSON.stringify(figures));
    else for (const [k, v] of Object.entries(figures)) console.log(`${k.padEnd(20)} ${v}`);
  } finally {
    await speech.close();
    await w.close();
  }
}
