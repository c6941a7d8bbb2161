/**
 * Voice-activity detection for the hands-free mode (CH-5), in a worker: @ricky0123/vad-web's silero
 * model and frame processor on onnxruntime-web's WebAssembly. In a worker because WebAssembly needs
 * `'wasm-unsafe-eval'`, which the page's CSP does not grant: Hearth serves this script alone with a
 * policy that does (src/voice/routes/vad-assets.ts), and the page keeps its strict one.
 *
 * In: `{ type: 'frame', frame: Float32Array }` (1536 samples at 16 kHz). Out: `ready`, `speech-start`,
 * `misfire`, `speech-end` with the utterance's samples, or `error`.
 */
import * as ort from 'onnxruntime-web/wasm';
import { FrameProcessor } from '@ricky0123/vad-web/dist/frame-processor.js';
import { Message } from '@ricky0123/vad-web/dist/messages.js';
import { SileroLegacy } from '@ricky0123/vad-web/dist/models/legacy.js';

/** Where Hearth serves the model and the runtime (no CDN). */
const ASSETS = '/voice/vad/';
/** The legacy silero model's frame: 1536 samples at 16 kHz (96 ms). */
const FRAME_SAMPLES = 1536;

/** The worker's own global (typed by hand: the web app's types are the page's). */
const scope = self as unknown as {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (e: MessageEvent<{ type: 'frame'; frame: Float32Array }>) => void): void;
};

async function start(): Promise<(frame: Float32Array) => Promise<void>> {
  ort.env.wasm.wasmPaths = ASSETS;
  ort.env.wasm.numThreads = 1; // no SharedArrayBuffer without cross-origin isolation
  ort.env.logLevel = 'error';
  const model = await SileroLegacy.new(ort as never, async () => {
    const res = await fetch(`${ASSETS}silero_vad_legacy.onnx`);
    if (!res.ok) throw new Error(`The voice-activity model could not be loaded (${res.status})`);
    return res.arrayBuffer();
  });
  const processor = new FrameProcessor(
    model.process,
    model.reset_state,
    {
      positiveSpeechThreshold: 0.5,
      negativeSpeechThreshold: 0.35,
      redemptionMs: 600,
      preSpeechPadMs: 300,
      minSpeechMs: 400,
      submitUserSpeechOnPause: false,
    },
    FRAME_SAMPLES / 16,
  );
  processor.resume();
  return (frame) =>
    processor.process(frame, (ev) => {
      if (ev.msg === Message.SpeechStart) scope.postMessage({ type: 'speech-start' });
      else if (ev.msg === Message.VADMisfire) scope.postMessage({ type: 'misfire' });
      else if (ev.msg === Message.SpeechEnd) scope.postMessage({ type: 'speech-end', audio: ev.audio }, [ev.audio.buffer]);
    });
}

const ready = start();
ready.then(
  () => scope.postMessage({ type: 'ready' }),
  (err: unknown) => scope.postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err) }),
);
// One frame at a time, in order.
let chain = Promise.resolve();
scope.addEventListener('message', (e) => {
  if (e.data?.type !== 'frame') return;
  const frame = e.data.frame;
  chain = chain.then(async () => (await ready)(frame)).catch(() => undefined);
});
