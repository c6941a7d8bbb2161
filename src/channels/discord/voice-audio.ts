/**
 * The little audio arithmetic Discord voice needs, in memory (nothing is written to disk): what is
 * heard is decoded by Opus straight to 16 kHz mono and wrapped as a WAV for the voice service; what
 * is spoken comes back as a PCM WAV and is brought to Discord's 48 kHz stereo for the Opus encoder.
 * WAV reading and writing are the voice concern's (src/voice: parsePcmWav, pcmToWav).
 */

/** Discord sends and expects 48 kHz stereo Opus, 20 ms frames. */
const DISCORD_RATE = 48_000;
/** What the voice service reads without ffmpeg: 16 kHz, mono, 16-bit. */
export const HEARD_RATE = 16_000;

/** 16-bit PCM (mono or interleaved stereo) at `rate` as 48 kHz interleaved stereo, by linear interpolation. */
export function toDiscordPcm(pcm: Buffer, rate: number, channels: number): Buffer {
  const frames = Math.floor(pcm.length / (2 * channels));
  const mono = (i: number) => {
    if (channels === 1) return pcm.readInt16LE(i * 2);
    return (pcm.readInt16LE(i * 4) + pcm.readInt16LE(i * 4 + 2)) / 2;
  };
  const outFrames = Math.floor((frames * DISCORD_RATE) / rate);
  const out = Buffer.alloc(outFrames * 4);
  for (let j = 0; j < outFrames; j++) {
    const x = (j * rate) / DISCORD_RATE;
    const i = Math.floor(x);
    const a = mono(Math.min(i, frames - 1));
    const b = mono(Math.min(i + 1, frames - 1));
    const v = Math.max(-32768, Math.min(32767, Math.round(a + (b - a) * (x - i))));
    out.writeInt16LE(v, j * 4);
    out.writeInt16LE(v, j * 4 + 2);
  }
  return out;
}
