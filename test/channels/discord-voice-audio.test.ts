import { describe, expect, it } from 'vitest';
import { toDiscordPcm } from '../../src/channels/discord/voice-audio.js';
import { createOpusDecoder, opusStream } from '../../src/channels/discord/voice-opus.js';
import { createSentenceSplitter, parsePcmWav, pcmToWav } from '../../src/voice/index.js';

/** `seconds` of a 440 Hz tone, 16-bit mono at `rate`. */
const tone = (seconds: number, rate: number) => {
  const pcm = Buffer.alloc(Math.round(seconds * rate) * 2);
  for (let i = 0; i < pcm.length / 2; i++) pcm.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate)), i * 2);
  return pcm;
};

const packetsOf = async (stream: AsyncIterable<unknown>) => {
  const out: Buffer[] = [];
  for await (const p of stream) out.push(p as Buffer);
  return out;
};

describe('#18 voice: the Discord voice audio path (CH-5)', () => {
  it('#18 voice: a PCM WAV is read (a placeholder data size too), anything else is refused, and brought to 48 kHz stereo', () => {
    const wav = pcmToWav(tone(0.5, 22_050), 22_050);
    expect(parsePcmWav(wav)).toMatchObject({ rate: 22_050, channels: 1 });
    const streamed = Buffer.from(wav);
    streamed.writeUInt32LE(0xffffffff, 40);
    expect(parsePcmWav(streamed)!.pcm.length).toBe(wav.length - 44);
    expect(parsePcmWav(Buffer.from('\x89PNG\r\n\x1a\n not a wav'))).toBeUndefined();
    const float = Buffer.from(wav);
    float.writeUInt16LE(3, 20); // IEEE float: not 16-bit PCM
    expect(parsePcmWav(float)).toBeUndefined();
    const out = toDiscordPcm(parsePcmWav(wav)!.pcm, 22_050, 1);
    expect(out.length / 4 / 48_000).toBeCloseTo(0.5, 2);
    expect(out.readInt16LE(400)).toBe(out.readInt16LE(402)); // both channels
  });

  it('#18 voice: a streamed reply is cut into sentences as its deltas arrive, the rest spoken at the end', () => {
    const splitter = createSentenceSplitter();
    expect(splitter.push('Hello the')).toEqual([]);
    expect(splitter.push('re. How are')).toEqual(['Hello there.']);
    expect(splitter.push(' you? Pi is 3.14 exactly!\nNo')).toEqual(['How are you?', 'Pi is 3.14 exactly!']);
    expect(splitter.end()).toEqual(['No']);
  });

  it('#18 voice: Opus round trip, and hundreds of spoken sentences do not wear out the codec (every instance is freed)', async () => {
    const listening = createOpusDecoder(16_000); // made first: breaks if the shared heap ever grows under it
    const pcm = toDiscordPcm(tone(0.2, 16_000), 16_000, 1);
    for (let i = 0; i < 300; i++) expect(await packetsOf(opusStream(pcm))).toHaveLength(10);
    const packets = await packetsOf(opusStream(pcm));
    const heard = Buffer.concat(packets.map((p) => listening.decode(p)!));
    expect(heard.length).toBe(10 * 320 * 2); // 16 kHz mono, 20 ms a packet
    let energy = 0;
    for (let i = 0; i < heard.length; i += 2) energy += Math.abs(heard.readInt16LE(i));
    expect(energy / (heard.length / 2)).toBeGreaterThan(1000);
    listening.close();
    // a stream stopped half-way (barge-in) frees its encoder too
    for (let i = 0; i < 300; i++) {
      const s = opusStream(pcm);
      s.read();
      s.destroy();
    }
    const after = createOpusDecoder(16_000);
    expect(after.decode(packets[0]!)).toBeDefined();
    after.close();
  });
});
