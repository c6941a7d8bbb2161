import { boundedBody, call, type OpenAISpeechOptions, type SpeechToText, type TextToSpeech } from './engines.js';
import { voiceErrors } from './errors.js';
import { sniffAudio } from './sniff.js';
import { parsePcmWav } from './wav.js';

/** Deepgram's and Cartesia's options are the OpenAI-compatible ones: base URL, key, model, voice, limits. */
type VendorOptions = Omit<OpenAISpeechOptions, 'fetch'> & { readonly fetch?: typeof fetch };

/** Bytes of PCM per WebSocket frame: a quarter second of 16 kHz mono, as a live microphone would send. */
const FRAME_BYTES = 8000;
/** Deepgram closes a stream after 10 s without audio: a KeepAlive goes after this long without a frame (a slow upload). */
const KEEP_ALIVE_MS = 3000;

/** The PCM re-cut into frames of `FRAME_BYTES` (the last one shorter), as it arrives. */
async function* framesOf(pcm: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let pending: Buffer = Buffer.alloc(0);
  for await (const chunk of pcm) {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    while (pending.length >= FRAME_BYTES) {
      yield pending.subarray(0, FRAME_BYTES);
      pending = pending.subarray(FRAME_BYTES);
    }
  }
  if (pending.length) yield pending;
}

/**
 * Deepgram's live transcription (`wss://api.deepgram.com/v1/listen`, as Familiar-Connect uses): the
 * speech goes as raw 16 kHz linear16 binary frames while the upload is still arriving, with a
 * `{"type":"KeepAlive"}` when the upload stalls, then `{"type":"Finalize"}` (flush what is heard)
 * and `{"type":"CloseStream"}`. The `Results` marked `is_final` are joined (interim guesses are
 * not); the server's `Metadata` and close end it. The key goes in the handshake's
 * `Authorization: Token …` header, never in the URL.
 */
export function createDeepgramTranscriber(options: VendorOptions): SpeechToText {
  const transcriber: SpeechToText = {
    name: 'deepgram',
    async transcribe(wav) {
      const pcm = parsePcmWav(wav);
      if (!pcm || pcm.rate !== 16_000 || pcm.channels !== 1) throw voiceErrors.create('VOICE_INVALID', 'Deepgram is sent 16 kHz mono PCM');
      return transcriber.transcribeStream!(
        (async function* () {
          yield pcm.pcm;
        })(),
      );
    },
    async transcribeStream(pcm) {
      const url = new URL(`${options.baseUrl.replace(/^http/, 'ws')}/listen`);
      for (const [k, v] of Object.entries({
        model: options.model,
        encoding: 'linear16',
        sample_rate: '16000',
        channels: '1',
        punctuate: 'true',
        smart_format: 'true',
        interim_results: 'false',
      }))
        url.searchParams.set(k, v);
      // ws loads only when a Deepgram provider is used, not at every start.
      const { default: WebSocket } = await import('ws');
      const finals: string[] = [];
      let settled = false;
      let lastSent = Date.now();
      let resolveResult!: (text: string) => void;
      let rejectResult!: (err: Error) => void;
      const result = new Promise<string>((resolve, reject) => {
        resolveResult = resolve;
        rejectResult = reject;
      });
      result.catch(() => undefined); // awaited below; a failure while the upload is read must not go unhandled meanwhile
      const ws = new WebSocket(url, {
        headers: options.apiKey ? { authorization: `Token ${options.apiKey}` } : {},
        handshakeTimeout: options.timeoutMs,
        followRedirects: false,
        maxPayload: 1_000_000,
      });
      const finish = (err: Error | undefined, text?: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        clearInterval(keepAlive);
        if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.terminate();
        if (err) rejectResult(err);
        else resolveResult(text ?? '');
      };
      const timer = setTimeout(
        () => finish(voiceErrors.create('VOICE_TIMEOUT', 'The speech provider did not answer in time')),
        options.timeoutMs,
      );
      const keepAlive = setInterval(() => {
        if (ws.readyState === WebSocket.OPEN && Date.now() - lastSent >= KEEP_ALIVE_MS) {
          ws.send(JSON.stringify({ type: 'KeepAlive' }));
          lastSent = Date.now();
        }
      }, 500);
      ws.on('unexpected-response', (_req, res) => {
        // A refused handshake (a wrong key: 401): its status, and the provider's words without the key.
        let body = '';
        res.on('data', (c: Buffer) => (body = (body + c.toString('utf8')).slice(0, 2000)));
        res.on('end', () => {
          const said = /"(?:err_msg|message|error)"\s*:\s*"([^"]{1,200})"/.exec(body)?.[1];
          const safe = said && options.apiKey ? said.split(options.apiKey).join('••••') : said;
          finish(
            voiceErrors.create(
              'VOICE_PROVIDER_FAILED',
              `The speech provider answered ${res.statusCode}`,
              safe ? { detail: safe } : undefined,
            ),
          );
        });
      });
      ws.on('error', () => finish(voiceErrors.create('VOICE_PROVIDER_FAILED', 'The speech provider could not be reached')));
      ws.on('message', (data, binary) => {
        if (binary) return;
        let message: { type?: unknown; is_final?: unknown; channel?: { alternatives?: Array<{ transcript?: unknown }> } };
        try {
          message = JSON.parse(data.toString()) as typeof message;
        } catch {
          return finish(voiceErrors.create('VOICE_PROVIDER_FAILED', 'The speech provider sent something that is not JSON'));
        }
        if (message.type === 'Results' && message.is_final === true) {
          const text = message.channel?.alternatives?.[0]?.transcript;
          if (typeof text === 'string' && text.trim()) finals.push(text.trim());
        } else if (message.type === 'Metadata') finish(undefined, finals.join(' '));
        else if (message.type === 'Error') finish(voiceErrors.create('VOICE_PROVIDER_FAILED', 'The speech provider reported an error'));
      });
      ws.on('close', () => {
        // Closed without Metadata after the results: what was heard stands; before any, a failure.
        if (finals.length) finish(undefined, finals.join(' '));
        else finish(voiceErrors.create('VOICE_PROVIDER_FAILED', 'The speech provider closed the stream without a transcript'));
      });
      const opened = new Promise<boolean>((resolve) => {
        ws.once('open', () => resolve(true));
        void result.then(
          () => resolve(false),
          () => resolve(false),
        );
      });
      try {
        if (await opened) {
          // Each frame as soon as the upload has it: transcription overlaps the upload.
          for await (const frame of framesOf(pcm)) {
            if (settled) break;
            ws.send(frame);
            lastSent = Date.now();
          }
          if (!settled) {
            ws.send(JSON.stringify({ type: 'Finalize' }));
            ws.send(JSON.stringify({ type: 'CloseStream' }));
          }
        }
      } catch (err) {
        // The upload failed (too large, the caller went away): the stream is dropped, the upload's error stands.
        finish(err as Error);
        throw err;
      }
      return result;
    },
  };
  return transcriber;
}

/** The Cartesia API version Hearth speaks (sent as `Cartesia-Version`). */
const CARTESIA_VERSION = '2025-04-16';

/**
 * Cartesia's text to speech (`POST {base}/tts/bytes`): `model` is the model id (`sonic-2`…), `voice`
 * the voice's id; asked for 16-bit PCM WAV at 24 kHz, which Hearth serves without re-encoding.
 */
export function createCartesiaSpeaker(options: VendorOptions): TextToSpeech {
  return {
    name: 'cartesia',
    async speak(text) {
      if (!options.voice) throw voiceErrors.create('VOICE_INVALID', 'Cartesia needs a voice id');
      const res = await call(options, '/tts/bytes', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'cartesia-version': CARTESIA_VERSION },
        body: JSON.stringify({
          model_id: options.model,
          transcript: text,
          voice: { mode: 'id', id: options.voice },
          output_format: { container: 'wav', encoding: 'pcm_s16le', sample_rate: 24_000 },
          language: 'en',
        }),
      });
      const audio = await boundedBody(res, options.maxBytes * 4);
      if (!sniffAudio(audio)) throw voiceErrors.create('VOICE_PROVIDER_FAILED', 'The speech provider sent something that is not audio');
      return audio;
    },
  };
}
