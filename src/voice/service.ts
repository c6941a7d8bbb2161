import type { AuditActor, AuditLog } from '../security/audit/index.js';
import type { TurnEvent, TurnReply, TurnRequest, TurnRunner } from '../companions/index.js';
import {
  decodeUpload,
  encodeSpeech,
  notDecoded,
  openUpload,
  pcmToWav,
  readUpload,
  speakable,
  SPEECH_CONTENT_TYPES,
  type AudioLimits,
  type SpeechFormat,
  type UploadStream,
} from './audio.js';
import { createEspeak, createPocketsphinx, type SpeechToText, type TextToSpeech } from './engines.js';
import { voiceErrors } from './errors.js';
import type { SpeechProviders } from './providers.js';
import { createSentenceSplitter } from './sentences.js';
import { downmix, parsePcmWav } from './wav.js';

export interface VoiceLimits extends AudioLimits {
  /** Most characters of a reply spoken (the rest is in the text). */
  readonly maxSpeechChars: number;
}

interface Transcript {
  readonly text: string;
  readonly seconds: number;
  readonly provider: string;
}

interface Speech {
  readonly audio: Buffer;
  readonly contentType: string;
  readonly provider: string;
}

interface VoiceTurnResult {
  readonly transcript: string;
  readonly reply: TurnReply;
  readonly speech: Speech;
}

/** What a streamed voice turn emits, in order: the transcript, the turn's own events, and each sentence's audio as it is spoken. */
export type VoiceEvent =
  | { readonly type: 'transcript'; readonly text: string }
  | Exclude<TurnEvent, { type: 'done' }>
  | {
      readonly type: 'audio';
      /** 0, 1, 2…: the order to play them in. */
      readonly index: number;
      readonly text: string;
      readonly contentType: string;
      /** One whole, playable file (base64). */
      readonly data: string;
    }
  /** Speech failed after the reply was stored: the text stands, the rest is not spoken. */
  | { readonly type: 'speech_error'; readonly reason: string; readonly message: string };

interface StreamedVoiceTurn {
  readonly transcript: string;
  readonly reply: TurnReply;
  /** The sentences' audio joined into one file (undefined when nothing could be spoken). */
  readonly speech: Speech | undefined;
}

/**
 * A recording: the whole file, or the file as it arrives (an HTTP request body), which a streaming
 * speech-to-text provider (Deepgram) hears while the upload goes on.
 */
export type VoiceUpload = Buffer | UploadStream;

export interface Voice {
  readonly providers: SpeechProviders;
  /** The largest upload accepted, in bytes. */
  readonly maxBytes: number;
  /** Checks, decodes and transcribes an upload; VOICE_NO_SPEECH when nothing was recognised. */
  transcribe(upload: VoiceUpload, payer?: VoicePayer): Promise<Transcript>;
  /** Speaks text (markdown taken out, at most `maxSpeechChars`) in `format`. */
  speak(text: string, format: SpeechFormat): Promise<Speech>;
  /** A voice turn: transcription in front of the same turn every channel runs, speech after it; audited (never the audio). */
  turn(upload: VoiceUpload, request: Omit<TurnRequest, 'text'>, actor: AuditActor, format: SpeechFormat): Promise<VoiceTurnResult>;
  /**
   * A voice turn whose reply is spoken sentence by sentence while the model streams it (CH-5).
   * Errors before the turn starts (bad audio, no speech, a refused turn) are thrown before any
   * event, so an HTTP caller still gets their status.
   */
  streamTurn(
    upload: VoiceUpload,
    request: Omit<TurnRequest, 'text'>,
    actor: AuditActor,
    format: SpeechFormat,
    emit: (event: VoiceEvent) => void,
  ): Promise<StreamedVoiceTurn>;
  /** Proves a provider (or, with no id, the offline default) works: a short synthesis or transcription. */
  test(
    id?: string,
  ): Promise<{ ok: true; provider: string; transcript?: string } | { ok: false; error: string; reason?: string; package?: string }>;
}

/** Half a second of silence: what the STT test sends (nothing to recognise, but a real request). */
const SILENCE = pcmToWav(Buffer.alloc(16_000));

/** Who pays for a recording's seconds (the voice budget, issue #22). */
export interface VoicePayer {
  readonly userId: string;
  readonly familiarId: string;
  readonly channel: string;
  readonly requestId?: string | undefined;
}

export function createVoice(options: {
  providers: SpeechProviders;
  turns: TurnRunner;
  audit: AuditLog;
  limits: VoiceLimits;
  /** Charges a recording's seconds once decoded, before it is transcribed; throws BUDGET_EXCEEDED when spent (absent: not counted). */
  charge?: ((payer: VoicePayer, seconds: number) => Promise<void>) | undefined;
}): Voice {
  const { providers, turns, audit, limits } = options;
  const pocketsphinx = createPocketsphinx(limits);
  const espeak = createEspeak(limits);
  const stt = async (): Promise<SpeechToText> => (await providers.active('stt')) ?? pocketsphinx;
  const tts = async (): Promise<TextToSpeech> => (await providers.active('tts')) ?? espeak;

  const payerOf = (r: Omit<TurnRequest, 'text'>): VoicePayer => ({
    userId: r.userId,
    familiarId: r.familiarId,
    channel: r.channel,
    requestId: r.requestId,
  });
  const voice: Voice = {
    providers,
    maxBytes: limits.maxBytes,
    async transcribe(upload, payer) {
      const engine = await stt();
      let bytes: Buffer;
      if (Buffer.isBuffer(upload)) bytes = upload;
      else if (!engine.transcribeStream) bytes = await readUpload(upload, limits.maxBytes);
      else {
        const opened = await openUpload(upload, limits);
        if ('bytes' in opened) bytes = opened.bytes;
        else {
          // A 16 kHz PCM WAV to a live transcriber: heard while it arrives. Its declared length
          // (never more is read) is charged before the first sample is sent.
          if (payer && options.charge) await options.charge(payer, opened.declaredSeconds);
          const text = await engine.transcribeStream(opened.pcm);
          if (opened.received() < 3200) throw notDecoded();
          if (!text) throw voiceErrors.create('VOICE_NO_SPEECH', 'No speech was recognised in the audio');
          return { text, seconds: opened.received() / 32_000, provider: engine.name };
        }
      }
      const decoded = await decodeUpload(bytes, limits);
      if (payer && options.charge) await options.charge(payer, decoded.seconds);
      const text = await engine.transcribe(decoded.wav);
      if (!text) throw voiceErrors.create('VOICE_NO_SPEECH', 'No speech was recognised in the audio');
      return { text, seconds: decoded.seconds, provider: engine.name };
    },
    async speak(text, format) {
      const words = speakable(text, limits.maxSpeechChars);
      if (!words) throw voiceErrors.create('VOICE_INVALID', 'Nothing to speak');
      const engine = await tts();
      const audio = await encodeSpeech(await engine.speak(words), format, limits);
      return { audio, contentType: SPEECH_CONTENT_TYPES[format], provider: engine.name };
    },
    async turn(upload, request, actor, format) {
      const heard = await voice.transcribe(upload, payerOf(request));
      const reply = await turns.run({ ...request, text: heard.text });
      const speech = await voice.speak(reply.text, format);
      await audit.record({
        actor,
        action: 'voice.turn',
        target: reply.conversationId,
        outcome: 'success',
        ...(request.requestId ? { requestId: request.requestId } : {}),
        details: { channel: request.channel, seconds: Math.round(heard.seconds * 10) / 10, stt: heard.provider, tts: speech.provider },
      });
      return { transcript: heard.text, reply, speech };
    },
    async streamTurn(upload, request, actor, format, emit) {
      const [heard, engine] = await Promise.all([voice.transcribe(upload, payerOf(request)), tts()]);
      const splitter = createSentenceSplitter();
      const synthesize = async (words: string) => encodeSpeech(await engine.speak(words), format, limits);
      // The reply's last words often end like a sentence before the turn has ended ("It is sunny."):
      // they are spoken at once, and the audio used if the sentence really ends there.
      let early: { sentence: string; words: string; audio: Promise<Buffer> } | undefined;
      const parts: Buffer[] = [];
      let budget = limits.maxSpeechChars;
      let index = 0;
      let failed = false;
      let queue = Promise.resolve();
      let pushed = 0;
      // One sentence at a time, in order, while the model goes on writing.
      const say = (sentence: string) => {
        const words = speakable(sentence, budget);
        const ahead = early?.sentence === sentence && early.words === words ? early.audio : undefined;
        early = undefined;
        if (!words || failed || budget <= 0 || request.signal?.aborted) return;
        budget -= words.length;
        queue = queue.then(async () => {
          if (failed || request.signal?.aborted) return;
          try {
            const audio = await (ahead ?? synthesize(words));
            parts.push(audio);
            emit({ type: 'audio', index: index++, text: words, contentType: SPEECH_CONTENT_TYPES[format], data: audio.toString('base64') });
          } catch (err) {
            failed = true;
            const e = err as { message?: string; details?: { reason?: string } };
            emit({ type: 'speech_error', reason: e.details?.reason ?? 'VOICE_PROVIDER_FAILED', message: e.message ?? 'Speech failed' });
          }
        });
      };
      let started = false;
      const run = turns.run({ ...request, text: heard.text }, (event) => {
        if (event.type === 'done') return;
        // The transcript goes out with the turn's first event: a turn refused before it starts is still a plain HTTP error.
        if (!started) {
          started = true;
          emit({ type: 'transcript', text: heard.text });
        }
        emit(event);
        if (event.type === 'delta') {
          pushed += event.text.length;
          for (const sentence of splitter.push(event.text)) say(sentence);
          const next = splitter.pending();
          if (next && next !== early?.sentence && !failed && budget > 0) {
            const words = speakable(next, budget);
            if (words) {
              const audio = synthesize(words);
              audio.catch(() => undefined); // unused when the text goes on; a real failure surfaces where it is awaited
              early = { sentence: next, words, audio };
            }
          }
        }
      });
      const reply = await run.catch(async (err: unknown) => {
        failed = true; // nothing more is spoken; what is being spoken finishes before the error goes on
        await queue;
        throw err;
      });
      if (!started) emit({ type: 'transcript', text: heard.text });
      // A reply that did not stream (a refusal, a cached answer) is spoken whole.
      for (const sentence of pushed ? splitter.end() : [reply.text]) say(sentence);
      await queue;
      await audit.record({
        actor,
        action: 'voice.turn',
        target: reply.conversationId,
        outcome: 'success',
        ...(request.requestId ? { requestId: request.requestId } : {}),
        details: {
          channel: request.channel,
          seconds: Math.round(heard.seconds * 10) / 10,
          stt: heard.provider,
          tts: engine.name,
          streamed: true,
          sentences: index,
        },
      });
      const audio = joinSpeech(parts, format);
      return {
        transcript: heard.text,
        reply,
        speech: audio ? { audio, contentType: SPEECH_CONTENT_TYPES[format], provider: engine.name } : undefined,
      };
    },
    async test(id) {
      try {
        if (!id) {
          const spoken = await voice.speak('Hello.', 'wav');
          const heard = await pocketsphinx.transcribe((await decodeUpload(spoken.audio, limits)).wav);
          return { ok: true, provider: 'offline', transcript: heard };
        }
        const engine = await providers.engine(id);
        if (engine.tts) await engine.tts.speak('Hello.');
        if (engine.stt) await engine.stt.transcribe(SILENCE);
        return { ok: true, provider: id };
      } catch (err) {
        const e = err as { message: string; details?: { reason?: string; package?: string; detail?: string } };
        if (e.details?.reason === 'VOICE_PROVIDER_NOT_FOUND') throw err;
        if (!e.details?.reason) throw err;
        const detail = e.details.detail ? `: ${e.details.detail}` : '';
        return {
          ok: false,
          error: `${e.message}${detail}`,
          reason: e.details.reason,
          ...(e.details.package ? { package: e.details.package } : {}),
        };
      }
    },
  };
  return voice;
}

/**
 * The sentences' audio as one file: WAV parts as one WAV (same rate as the first), OGG and MP3 parts
 * simply one after another (chained Ogg streams and MP3 frames play through).
 */
function joinSpeech(parts: readonly Buffer[], format: SpeechFormat): Buffer | undefined {
  if (parts.length === 0) return undefined;
  if (format !== 'wav') return Buffer.concat(parts);
  const wavs = parts.map(parsePcmWav).filter((w) => w !== undefined);
  const rate = wavs[0]?.rate;
  if (rate === undefined) return undefined;
  return pcmToWav(Buffer.concat(wavs.filter((w) => w.rate === rate).map(downmix)), rate);
}
