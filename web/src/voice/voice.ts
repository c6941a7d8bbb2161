import { errorFrom, writeHeaders } from '../api.js';

/**
 * The browser half of a voice turn (CH-5): the recording made 16 kHz mono WAV here (so the server
 * reads it without ffmpeg), sent to `POST /api/conversations/:id/voice` as a stream, and each
 * sentence's audio played as it arrives, through Web Audio (no media URL, so the CSP needs nothing more).
 */

const RATE = 16_000;

/** 16-bit PCM WAV of mono float samples. */
export function wavOf(samples: Float32Array, rate: number): Blob {
  const data = new DataView(new ArrayBuffer(44 + samples.length * 2));
  const ascii = (at: number, s: string) => [...s].forEach((c, i) => data.setUint8(at + i, c.charCodeAt(0)));
  ascii(0, 'RIFF');
  data.setUint32(4, 36 + samples.length * 2, true);
  ascii(8, 'WAVEfmt ');
  data.setUint32(16, 16, true);
  data.setUint16(20, 1, true);
  data.setUint16(22, 1, true);
  data.setUint32(24, rate, true);
  data.setUint32(28, rate * 2, true);
  data.setUint16(32, 2, true);
  data.setUint16(34, 16, true);
  ascii(36, 'data');
  data.setUint32(40, samples.length * 2, true);
  samples.forEach((s, i) => data.setInt16(44 + i * 2, Math.max(-1, Math.min(1, s)) * 0x7fff, true));
  return new Blob([data.buffer], { type: 'audio/wav' });
}

/**
 * The recording as a 16 kHz mono WAV (decoded and resampled by the browser), or the recording as
 * it is when this browser cannot decode its own format (the server converts it then).
 */
export async function toUpload(recording: Blob): Promise<Blob> {
  try {
    // An offline context at 16 kHz decodes and resamples at once; the second one mixes down to mono.
    const decoded = await new OfflineAudioContext(1, 1, RATE).decodeAudioData(await recording.arrayBuffer());
    const frames = Math.max(1, decoded.length);
    const offline = new OfflineAudioContext(1, frames, RATE);
    const source = offline.createBufferSource();
    source.buffer = decoded;
    source.connect(offline.destination);
    source.start();
    return wavOf((await offline.startRendering()).getChannelData(0), RATE);
  } catch {
    return recording;
  }
}

/** Push-to-talk recording from the microphone; the browser asks for it on the first press. */
export interface Recorder {
  stop(): Promise<Blob>;
  cancel(): void;
}

export async function record(): Promise<Recorder> {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true } });
  const recorder = new MediaRecorder(stream);
  const chunks: Blob[] = [];
  recorder.addEventListener('dataavailable', (e) => e.data.size > 0 && chunks.push(e.data));
  const release = () => stream.getTracks().forEach((t) => t.stop());
  recorder.start();
  return {
    stop: () =>
      new Promise<Blob>((resolve) => {
        recorder.addEventListener('stop', () => {
          release();
          resolve(new Blob(chunks, { type: recorder.mimeType || 'audio/webm' }));
        });
        recorder.stop();
      }),
    cancel: () => {
      if (recorder.state !== 'inactive') recorder.stop();
      release();
    },
  };
}

/** Plays the sentences' audio one after another, in the order given, as each arrives. */
export function createPlayer(): { play(base64: string): void; stop(): void; playing(): boolean; readonly context: AudioContext } {
  const context = new AudioContext();
  const sources = new Set<AudioBufferSourceNode>();
  let next = 0;
  let chain = Promise.resolve();
  return {
    context,
    play(base64) {
      const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      // Decoding is asynchronous: the chain keeps the sentences in order.
      chain = chain
        .then(async () => {
          const buffer = await context.decodeAudioData(bytes.buffer);
          const source = context.createBufferSource();
          source.buffer = buffer;
          source.connect(context.destination);
          next = Math.max(next, context.currentTime);
          source.start(next);
          next += buffer.duration;
          sources.add(source);
          source.addEventListener('ended', () => sources.delete(source));
        })
        .catch(() => undefined);
    },
    /** True while a sentence is playing or waits its turn (hands-free barge-in asks). */
    playing: () => sources.size > 0,
    stop() {
      for (const s of sources) s.stop();
      sources.clear();
      void context.close();
    },
  };
}

/** One event of a streamed voice turn (mirrors VoiceEvent on the server, plus `done`). */
type VoiceStreamEvent =
  | { type: 'transcript'; text: string }
  | { type: 'start' }
  | { type: 'delta'; text: string }
  | { type: 'tool'; name: string; status: string }
  | { type: 'audio'; index: number; text: string; contentType: string; data: string }
  | { type: 'speech_error'; message: string }
  | { type: 'error'; code: string; message: string }
  | { type: 'done'; transcript: string; reply: { text: string } };

/** Sends the audio and yields the streamed turn's events; throws ApiError when the server refuses it (415, 413, 422, 429…). */
export async function* voiceTurn(conversationId: string, audio: Blob, signal: AbortSignal): AsyncGenerator<VoiceStreamEvent> {
  const response = await fetch(`/api/conversations/${encodeURIComponent(conversationId)}/voice`, {
    method: 'POST',
    credentials: 'same-origin',
    headers: writeHeaders({ accept: 'text/event-stream', 'content-type': audio.type || 'application/octet-stream' }),
    body: audio,
    signal,
  });
  if (!response.ok || !response.body) throw await errorFrom(response);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n');
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block
        .split('\n')
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).replace(/^ /, ''))
        .join('\n');
      if (!data) continue;
      try {
        yield JSON.parse(data) as VoiceStreamEvent;
      } catch {
        // not one of ours: skipped
      }
    }
  }
}
