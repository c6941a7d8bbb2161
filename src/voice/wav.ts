/** 16-bit PCM in a WAV file, read without ffmpeg: the fast path of uploads and replies that already are PCM. */
export interface PcmWav {
  readonly rate: number;
  readonly channels: number;
  /** Interleaved signed 16-bit little-endian samples, whole frames only (a view into the file). */
  readonly pcm: Buffer;
}

const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

/** Where a plain 16-bit PCM WAV's samples are: its format, and the `data` chunk's start and declared size. */
export interface PcmWavHeader {
  readonly rate: number;
  readonly channels: number;
  readonly blockAlign: number;
  readonly dataStart: number;
  /** As the header says (0xFFFFFFFF or more than is there in a streamed or truncated file). */
  readonly dataSize: number;
}

/**
 * The header of a plain 16-bit WAV read from its first bytes: the header, `'more'` when the bytes
 * end before the `data` chunk starts, or undefined for anything else (another codec or sample size,
 * no `fmt ` before `data`).
 */
export function parsePcmWavHeader(bytes: Buffer): PcmWavHeader | 'more' | undefined {
  if (bytes.length < 12) return 'more';
  if (bytes.toString('ascii', 0, 4) !== 'RIFF' || bytes.toString('ascii', 8, 12) !== 'WAVE') return undefined;
  let fmt: { rate: number; channels: number; blockAlign: number } | undefined;
  let at = 12;
  while (at + 8 <= bytes.length) {
    const id = bytes.toString('ascii', at, at + 4);
    const size = bytes.readUInt32LE(at + 4);
    const body = at + 8;
    if (id === 'fmt ') {
      if (size < 16) return undefined;
      if (body + Math.min(size, 40) > bytes.length) return 'more';
      const tag = bytes.readUInt16LE(body);
      const channels = bytes.readUInt16LE(body + 2);
      const rate = bytes.readUInt32LE(body + 4);
      const blockAlign = bytes.readUInt16LE(body + 12);
      const bits = bytes.readUInt16LE(body + 14);
      const pcmTag =
        tag === WAVE_FORMAT_PCM || (tag === WAVE_FORMAT_EXTENSIBLE && size >= 40 && bytes.readUInt16LE(body + 24) === WAVE_FORMAT_PCM);
      if (!pcmTag || bits !== 16 || channels < 1 || channels > 8 || blockAlign !== channels * 2) return undefined;
      if (rate < 8000 || rate > 192_000) return undefined;
      fmt = { rate, channels, blockAlign };
    } else if (id === 'data') {
      if (!fmt) return undefined;
      return { ...fmt, dataStart: body, dataSize: size };
    }
    at = body + size + (size & 1);
  }
  return 'more';
}

/**
 * The PCM of a plain 16-bit WAV, or undefined for anything else (another codec or sample size, no
 * `fmt ` before `data`, a chunk that runs past the end before `data`): those go to ffmpeg, which
 * decides. A `data` size larger than the file (a truncated file, or espeak-ng's streamed header)
 * counts only the bytes that are there.
 */
export function parsePcmWav(bytes: Buffer): PcmWav | undefined {
  const h = parsePcmWavHeader(bytes);
  if (h === undefined || h === 'more') return undefined;
  const end = Math.min(bytes.length, h.dataStart + h.dataSize);
  const whole = end - h.dataStart - ((end - h.dataStart) % h.blockAlign);
  return { rate: h.rate, channels: h.channels, pcm: bytes.subarray(h.dataStart, h.dataStart + whole) };
}

/** One channel: the frames' channels averaged (a copy; mono input is copied as it is). */
export function downmix(wav: PcmWav): Buffer {
  if (wav.channels === 1) return Buffer.from(wav.pcm);
  const frames = wav.pcm.length / (2 * wav.channels);
  const out = Buffer.alloc(frames * 2);
  for (let f = 0; f < frames; f++) {
    let sum = 0;
    for (let c = 0; c < wav.channels; c++) sum += wav.pcm.readInt16LE((f * wav.channels + c) * 2);
    out.writeInt16LE(Math.round(sum / wav.channels), f * 2);
  }
  return out;
}
