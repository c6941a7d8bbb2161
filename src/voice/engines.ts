import { existsSync, writeFileSync } from 'node:fs';
import { createTempFile } from '../files/index.js';
import { voiceErrors } from './errors.js';
import { runTool, TOOLS } from './process.js';
import { sniffAudio } from './sniff.js';

/** Speech to text: 16 kHz mono WAV in, the words out (empty when none were recognised). */
export interface SpeechToText {
  readonly name: string;
  transcribe(wav: Buffer): Promise<string>;
  /**
   * Transcribes 16 kHz mono 16-bit PCM while it is still arriving (an engine that listens live:
   * Deepgram); absent, the whole recording goes to `transcribe`.
   */
  transcribeStream?(pcm: AsyncIterable<Buffer>): Promise<string>;
}

/** Text to speech: the audio in whatever container the engine makes (re-encoded afterwards). */
export interface TextToSpeech {
  readonly name: string;
  speak(text: string): Promise<Buffer>;
}

interface EngineLimits {
  readonly dataDir: string;
  readonly timeoutMs: number;
  readonly maxBytes: number;
}

/** The US-English model of the Debian package pocketsphinx-en-us. */
const MODEL_DIR = '/usr/share/pocketsphinx/model/en-us';

/** The offline default: pocketsphinx (CMU Sphinx) with its US-English model; no account, no download. */
export function createPocketsphinx(limits: EngineLimits, modelDir = MODEL_DIR): SpeechToText {
  return {
    name: 'offline:pocketsphinx',
    async transcribe(wav) {
      if (!existsSync(`${modelDir}/en-us.lm.bin`)) {
        const message = 'Voice needs the US-English speech model: install the Debian package pocketsphinx-en-us';
        throw voiceErrors.create('VOICE_TOOL_MISSING', message, { package: 'pocketsphinx-en-us' });
      }
      const file = createTempFile(limits.dataDir, '.wav');
      try {
        writeFileSync(file.path, wav);
        const args = ['-infile', file.path, '-logfn', '/dev/null'];
        args.push('-hmm', `${modelDir}/en-us`, '-lm', `${modelDir}/en-us.lm.bin`, '-dict', `${modelDir}/cmudict-en-us.dict`);
        const r = await runTool(TOOLS.pocketsphinx, args, { timeoutMs: limits.timeoutMs, maxOutputBytes: 1_000_000 });
        if (r.code !== 0) throw voiceErrors.create('VOICE_PROVIDER_FAILED', 'Speech recognition failed');
        return r.stdout.toString('utf8').replace(/\s+/g, ' ').trim();
      } finally {
        file.remove();
      }
    },
  };
}

/** The offline default voice: espeak-ng, US English; the text goes on stdin, never on the command line. */
export function createEspeak(limits: EngineLimits, voice = 'en-us', wordsPerMinute = 160): TextToSpeech {
  return {
    name: 'offline:espeak-ng',
    async speak(text) {
      const r = await runTool(TOOLS.espeak, ['-v', voice, '-s', String(wordsPerMinute), '--stdin', '--stdout'], {
        timeoutMs: limits.timeoutMs,
        maxOutputBytes: limits.maxBytes * 4,
        input: text,
      });
      if (r.code !== 0 || sniffAudio(r.stdout) !== 'wav') throw voiceErrors.create('VOICE_PROVIDER_FAILED', 'Speech synthesis failed');
      return r.stdout;
    },
  };
}

export interface OpenAISpeechOptions {
  readonly baseUrl: string;
  readonly apiKey?: string | undefined;
  readonly model: string;
  readonly voice?: string | undefined;
  readonly timeoutMs: number;
  readonly maxBytes: number;
  readonly fetch?: typeof fetch;
}

/** Calls a speech provider's HTTP endpoint; any failure is a typed VOICE_* error, never the key. */
export async function call(options: OpenAISpeechOptions, path: string, init: RequestInit): Promise<Response> {
  const doFetch = options.fetch ?? fetch;
  const headers = new Headers(init.headers);
  if (options.apiKey && !headers.has('authorization')) headers.set('authorization', `Bearer ${options.apiKey}`);
  let res: Response;
  try {
    res = await doFetch(`${options.baseUrl}${path}`, {
      ...init,
      headers,
      redirect: 'error',
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (err) {
    if ((err as Error).name === 'TimeoutError') throw voiceErrors.create('VOICE_TIMEOUT', 'The speech provider did not answer in time');
    throw voiceErrors.create('VOICE_PROVIDER_FAILED', 'The speech provider could not be reached');
  }
  if (!res.ok) {
    const detail = await res.text().catch(() => '');
    const said = /"(?:message|error)"\s*:\s*"([^"]{1,200})"/.exec(detail)?.[1];
    const safe = said && options.apiKey ? said.split(options.apiKey).join('••••') : said;
    throw voiceErrors.create('VOICE_PROVIDER_FAILED', `The speech provider answered ${res.status}`, safe ? { detail: safe } : undefined);
  }
  return res;
}

/** Reads at most `max` bytes of a response body. */
export async function boundedBody(res: Response, max: number): Promise<Buffer> {
  const declared = Number(res.headers.get('content-length') ?? 0);
  if (declared > max) throw voiceErrors.create('VOICE_PROVIDER_FAILED', 'The speech provider answered too much');
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of (res.body ?? []) as unknown as AsyncIterable<Uint8Array>) {
    total += (chunk as Uint8Array).length;
    if (total > max) throw voiceErrors.create('VOICE_PROVIDER_FAILED', 'The speech provider answered too much');
    chunks.push(Buffer.from(chunk as Uint8Array));
  }
  return Buffer.concat(chunks);
}

/** `POST {base}/audio/transcriptions` (OpenAI, and local Whisper servers that copy it). */
export function createOpenAITranscriber(options: OpenAISpeechOptions): SpeechToText {
  return {
    name: 'openai-compatible',
    async transcribe(wav) {
      const form = new FormData();
      form.set('file', new Blob([new Uint8Array(wav)], { type: 'audio/wav' }), 'speech.wav');
      form.set('model', options.model);
      form.set('response_format', 'json');
      const res = await call(options, '/audio/transcriptions', { method: 'POST', body: form });
      const body = (await boundedBody(res, 1_000_000)).toString('utf8');
      let text: unknown;
      try {
        text = (JSON.parse(body) as { text?: unknown }).text;
      } catch {
        text = undefined;
      }
      if (typeof text !== 'string') throw voiceErrors.create('VOICE_PROVIDER_FAILED', 'The speech provider sent no transcript');
      return text.replace(/\s+/g, ' ').trim();
    },
  };
}

/** `POST {base}/audio/speech` asking for WAV (re-encoded by Hearth to what the channel needs). */
export function createOpenAISpeaker(options: OpenAISpeechOptions): TextToSpeech {
  return {
    name: 'openai-compatible',
    async speak(text) {
      const res = await call(options, '/audio/speech', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: options.model, voice: options.voice ?? 'alloy', input: text, response_format: 'wav' }),
      });
      const audio = await boundedBody(res, options.maxBytes * 4);
      if (!sniffAudio(audio)) throw voiceErrors.create('VOICE_PROVIDER_FAILED', 'The speech provider sent something that is not audio');
      return audio;
    },
  };
}
