import { boundedBody, call, type OpenAISpeechOptions, type SpeechToText, type TextToSpeech } from './engines.js';
import { voiceErrors } from './errors.js';
import { sniffAudio } from './sniff.js';
import { parsePcmWav } from './wav.js';

/** Deepgram's and Cartesia's options are the OpenAI-compatible ones: base URL, key, model, voice, limits. */
type VendorOptions = Omit<OpenAISpeechOptions, 'fetch'> & { readonly fetch?: typeof fetch };

/** Bytes of PCM per WebSocket frame: a quarter second of 16 kHz mono, as a live microphone would send. */
const FRAME_BYTES = 8000;

/**
 * Deepgram's live transcription (`wss://api.deepgram.com/v1/listen`, as Familiar-Connect uses): the
 * speech goes as raw 16 kHz linear16 frames, then `{"type":"CloseStream"}`; the final `Results`
 * are joined, and the server's `Metadata` and close end it. The key goes in the handshake's
 * `Authorization: Token …` header, never in the URL.
 */
export function createDeepgramTranscriber(options: VendorOptions): SpeechToText {
  return {
    name: 'deepgram',
    async transcribe(wav) {
      const pcm = parsePcmWav(wav);
      if (!pcm || pcm.rate !== 16_000 || pcm.channels !== 1) throw voiceErrors.create('VOICE_INVALID', 'Deepgram is sent 16 kHz mono PCM');
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
      return new Promise<string>((resolve, reject) => {
        const finals: string[] = [];
        let settled = false;
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
          if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.terminate();
          if (err) reject(err);
          else resolve(text ?? '');
        };
        const timer = setTimeout(
          () => finish(voiceErrors.create('VOICE_TIMEOUT', 'The speech provider did not answer in time')),
          options.timeoutMs,
        );
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
        ws.on('open', () => {
          for (let at = 0; at < pcm.pcm.length; at += FRAME_BYTES) ws.send(pcm.pcm.subarray(at, at + FRAME_BYTES));
          ws.send(JSON.stringify({ type: 'CloseStream' }));
        });
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
      });
    },
  };
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
