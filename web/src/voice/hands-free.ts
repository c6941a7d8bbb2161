import { Resampler } from '@ricky0123/vad-web/dist/resampler.js';
import { wavOf } from './voice.js';

/**
 * Hands-free listening (CH-5): the microphone, cut into 16 kHz frames here, and voice-activity
 * detection in a worker (vad-worker.ts: the silero model on WebAssembly, which only that worker's
 * own CSP allows). Each utterance comes out as a 16 kHz mono WAV; `onSpeechStart` fires as soon as
 * someone starts speaking (the barge-in signal).
 */
export interface HandsFree {
  stop(): void;
}

const FRAME_SAMPLES = 1536;

export async function listen(handlers: {
  onSpeechStart(): void;
  onUtterance(wav: Blob): void;
  onError(message: string): void;
}): Promise<HandsFree> {
  const worker = new Worker(new URL('./vad-worker.ts', import.meta.url), { type: 'module', name: 'vad-worker' });
  const ready = new Promise<void>((resolve, reject) => {
    worker.addEventListener('message', (e: MessageEvent<{ type: string; message?: string }>) => {
      if (e.data.type === 'ready') resolve();
      else if (e.data.type === 'error') reject(new Error(e.data.message ?? 'Voice-activity detection failed to start'));
    });
    worker.addEventListener('error', () => reject(new Error('Voice-activity detection failed to start')));
  });
  let stream: MediaStream | undefined;
  const opened: { context?: AudioContext } = {};
  const stop = () => {
    worker.terminate();
    stream?.getTracks().forEach((t) => t.stop());
    void opened.context?.close().catch(() => undefined);
  };
  try {
    [stream] = await Promise.all([
      navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true } }),
      ready,
    ]);
  } catch (err) {
    stop();
    throw err;
  }
  worker.addEventListener('message', (e: MessageEvent<{ type: string; audio?: Float32Array; message?: string }>) => {
    if (e.data.type === 'speech-start') handlers.onSpeechStart();
    else if (e.data.type === 'speech-end' && e.data.audio) handlers.onUtterance(wavOf(e.data.audio, 16_000));
    else if (e.data.type === 'error') handlers.onError(e.data.message ?? 'Voice-activity detection failed');
  });
  const context = new AudioContext();
  opened.context = context;
  const source = context.createMediaStreamSource(stream);
  const resampler = new Resampler({ nativeSampleRate: context.sampleRate, targetSampleRate: 16_000, targetFrameSize: FRAME_SAMPLES });
  // A ScriptProcessor: an AudioWorklet runs under the page's CSP too, and gains nothing here (the model runs in the worker).
  const node = context.createScriptProcessor(4096, 1, 1);
  node.onaudioprocess = (e) => {
    for (const frame of resampler.process(e.inputBuffer.getChannelData(0))) worker.postMessage({ type: 'frame', frame }, [frame.buffer]);
  };
  source.connect(node);
  node.connect(context.destination); // Chromium runs a ScriptProcessor only when it is connected; it outputs silence
  return { stop };
}
