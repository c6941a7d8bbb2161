import type { AuditActor, AuditLog } from '../security/audit/index.js';
import type { TurnReply, TurnRequest, TurnRunner } from '../companions/index.js';
import { decodeUpload, encodeSpeech, pcmToWav, speakable, SPEECH_CONTENT_TYPES, type AudioLimits, type SpeechFormat } from './audio.js';
import { createEspeak, createPocketsphinx, type SpeechToText, type TextToSpeech } from './engines.js';
import { voiceErrors } from './errors.js';
import type { SpeechProviders } from './providers.js';

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

export interface Voice {
  readonly providers: SpeechProviders;
  /** The largest upload accepted, in bytes. */
  readonly maxBytes: number;
  /** Checks, decodes and transcribes an upload; VOICE_NO_SPEECH when nothing was recognised. */
  transcribe(upload: Buffer): Promise<Transcript>;
  /** Speaks text (markdown taken out, at most `maxSpeechChars`) in `format`. */
  speak(text: string, format: SpeechFormat): Promise<Speech>;
  /** A voice turn: transcription in front of the same turn every channel runs, speech after it; audited (never the audio). */
  turn(upload: Buffer, request: Omit<TurnRequest, 'text'>, actor: AuditActor, format: SpeechFormat): Promise<VoiceTurnResult>;
  /** Proves a provider (or, with no id, the offline default) works: a short synthesis or transcription. */
  test(
    id?: string,
  ): Promise<{ ok: true; provider: string; transcript?: string } | { ok: false; error: string; reason?: string; package?: string }>;
}

/** Half a second of silence: what the STT test sends (nothing to recognise, but a real request). */
const SILENCE = pcmToWav(Buffer.alloc(16_000));

export function createVoice(options: { providers: SpeechProviders; turns: TurnRunner; audit: AuditLog; limits: VoiceLimits }): Voice {
  const { providers, turns, audit, limits } = options;
  const pocketsphinx = createPocketsphinx(limits);
  const espeak = createEspeak(limits);
  const stt = async (): Promise<SpeechToText> => (await providers.active('stt')) ?? pocketsphinx;
  const tts = async (): Promise<TextToSpeech> => (await providers.active('tts')) ?? espeak;

  const voice: Voice = {
    providers,
    maxBytes: limits.maxBytes,
    async transcribe(upload) {
      const decoded = await decodeUpload(upload, limits);
      const engine = await stt();
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
      const heard = await voice.transcribe(upload);
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
