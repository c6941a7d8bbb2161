import { Readable } from 'node:stream';
import OpusScript from 'opusscript';

/*
 * Opus through opusscript (the codec installed for prism-media). All opusscript instances share
 * one WebAssembly heap, and an instance's buffers are views of that heap taken when it was made:
 * when the heap grows, every older instance breaks ("offset is out of bounds"). prism-media's
 * encoder never frees its instance, so @discordjs/voice's Raw input would leak one per sentence
 * and break after ~100. Here every instance is freed when its stream ends, and one that broke
 * anyway is made again.
 */

type Rate = 16_000 | 48_000;

function codec(rate: Rate, channels: number, application: number) {
  let opus: OpusScript | undefined = new OpusScript(rate, channels, application);
  const fresh = () => {
    opus?.delete();
    opus = new OpusScript(rate, channels, application);
    return opus;
  };
  const use = <T>(run: (o: OpusScript) => T): T | undefined => {
    if (!opus) return undefined;
    try {
      return run(opus);
    } catch (err) {
      if (!(err instanceof RangeError) && !(err instanceof TypeError)) throw err;
      return run(fresh()); // the heap grew under it: a new instance, once
    }
  };
  return {
    use,
    close() {
      opus?.delete();
      opus = undefined;
    },
  };
}

/**
 * A decoder for one speaker's stream. Opus decodes to any of its rates directly, so what Discord
 * sends at 48 kHz stereo comes out at 16 kHz mono, ready for the voice service.
 */
export function createOpusDecoder(rate: Rate) {
  const c = codec(rate, 1, OpusScript.Application.VOIP);
  return {
    /** PCM of one packet; undefined for a packet Opus rejects (a corrupt one is skipped, not fatal). */
    decode(packet: Buffer): Buffer | undefined {
      try {
        const pcm = c.use((o) => o.decode(packet));
        return pcm ? Buffer.from(pcm) : undefined;
      } catch {
        return undefined;
      }
    },
    close: () => c.close(),
  };
}

/** 20 ms of 48 kHz stereo 16-bit PCM. */
const FRAME_SAMPLES = 960;
const FRAME_BYTES = FRAME_SAMPLES * 2 * 2;

/**
 * 48 kHz stereo PCM as a stream of Opus packets (StreamType.Opus), encoded a few frames ahead of
 * the player rather than all at once, so a long sentence never holds up the event loop.
 */
export function opusStream(pcm: Buffer): Readable {
  const c = codec(48_000, 2, OpusScript.Application.AUDIO);
  let at = 0;
  return new Readable({
    objectMode: true,
    highWaterMark: 8,
    read() {
      if (at >= pcm.length) return void this.push(null);
      let frame = pcm.subarray(at, at + FRAME_BYTES);
      at += FRAME_BYTES;
      if (frame.length < FRAME_BYTES) frame = Buffer.concat([frame, Buffer.alloc(FRAME_BYTES - frame.length)]);
      const packet = c.use((o) => o.encode(frame, FRAME_SAMPLES));
      this.push(packet ? Buffer.from(packet) : null);
    },
    destroy(err, done) {
      c.close();
      done(err);
    },
  });
}
