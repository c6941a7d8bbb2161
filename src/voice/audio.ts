import { writeFileSync } from 'node:fs';
import { createTempFile } from '../files/index.js';
import { voiceErrors } from './errors.js';
import { runTool, TOOLS } from './process.js';
import { sniffAudio, type AudioFormat } from './sniff.js';
import { downmix, parsePcmWav, parsePcmWavHeader } from './wav.js';

/** What speech is decoded to for recognition: 16 kHz mono 16-bit PCM (pocketsphinx's and Whisper's input). */
const PCM_RATE = 16_000;
const PCM_BYTES_PER_SECOND = PCM_RATE * 2;

/** ffmpeg's demuxer for each accepted container: it never guesses, so no playlist or concat demuxer ever reads another file. */
const DEMUXER: Record<AudioFormat, string> = { wav: 'wav', ogg: 'ogg', webm: 'matroska', mp3: 'mp3', mp4: 'mov' };

/** Formats Hearth speaks in: WAV (the web), OGG/Opus (Telegram voice notes), MP3. */
export type SpeechFormat = 'wav' | 'ogg' | 'mp3';
const SPEECH_WAV_RATE = 24_000;
const ENCODE: Record<SpeechFormat, string[]> = {
  // Raw PCM, wrapped in a header here: ffmpeg cannot go back to fill in a WAV header's sizes on a pipe.
  wav: ['-c:a', 'pcm_s16le', '-ar', String(SPEECH_WAV_RATE), '-f', 's16le'],
  ogg: ['-c:a', 'libopus', '-b:a', '32k', '-f', 'ogg'],
  mp3: ['-c:a', 'libmp3lame', '-b:a', '64k', '-f', 'mp3'],
};
export const SPEECH_CONTENT_TYPES: Record<SpeechFormat, string> = { wav: 'audio/wav', ogg: 'audio/ogg', mp3: 'audio/mpeg' };

export interface AudioLimits {
  readonly dataDir: string;
  readonly maxBytes: number;
  readonly maxSeconds: number;
  readonly timeoutMs: number;
}

/** A 44-byte WAV header in front of 16 kHz mono PCM. */
export function pcmToWav(pcm: Buffer, rate = PCM_RATE): Buffer {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + pcm.length, 4);
  h.write('WAVEfmt ', 8, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(pcm.length, 40);
  return Buffer.concat([h, pcm]);
}

/** Decoded speech: a 16 kHz mono WAV and its duration. */
export interface DecodedAudio {
  readonly wav: Buffer;
  readonly seconds: number;
  readonly format: AudioFormat;
}

/**
 * Checks and decodes an upload: its size, its container (from its bytes), that ffmpeg decodes it,
 * and its duration. Decoding stops just past the limit, so hours of silence or a decompression
 * bomb cost no more than the limit. The upload sits in the private temp directory (0600) only
 * while ffmpeg reads it (DATA-3). A 16 kHz 16-bit PCM WAV (what the web chat sends) is read
 * directly: no ffmpeg, no temp file (ffmpeg's start alone costs some 70 ms).
 */
export async function decodeUpload(bytes: Buffer, limits: AudioLimits): Promise<DecodedAudio> {
  if (bytes.length > limits.maxBytes) throw voiceErrors.create('VOICE_TOO_LARGE', `Audio larger than ${limits.maxBytes} bytes`);
  const format = sniffAudio(bytes);
  if (!format) throw voiceErrors.create('VOICE_NOT_AUDIO', 'Not audio: send WAV, OGG/Opus, WebM/Opus, MP3 or MP4/AAC');
  const pcmWav = format === 'wav' ? parsePcmWav(bytes) : undefined;
  if (pcmWav?.rate === PCM_RATE) return checked(downmix(pcmWav), format, limits);
  const input = createTempFile(limits.dataDir, `.${format}`);
  try {
    writeFileSync(input.path, bytes);
    const cap = Math.ceil((limits.maxSeconds + 1) * PCM_BYTES_PER_SECOND);
    const args = ['-nostdin', '-v', 'error', '-protocol_whitelist', 'file', '-f', DEMUXER[format], '-i', input.path];
    args.push(
      '-vn',
      '-t',
      String(limits.maxSeconds + 0.5),
      '-ac',
      '1',
      '-ar',
      String(PCM_RATE),
      '-f',
      's16le',
      '-c:a',
      'pcm_s16le',
      'pipe:1',
    );
    const r = await runTool(TOOLS.ffmpeg, args, { timeoutMs: limits.timeoutMs, maxOutputBytes: cap }).catch((err: unknown) => {
      if ((err as { details?: { reason?: string } }).details?.reason === 'VOICE_TOO_LONG') throw tooLong(limits);
      throw err;
    });
    if (r.code !== 0) throw notDecoded();
    return checked(r.stdout, format, limits);
  } finally {
    input.remove();
  }
}

/** An upload as it arrives (an HTTP request body), chunk by chunk. */
export type UploadStream = AsyncIterable<Uint8Array>;

/** The most bytes read looking for a WAV's `data` chunk before the upload is simply read whole. */
const MAX_HEADER_BYTES = 64 * 1024;
/** The shortest recording taken (a tenth of a second of 16 kHz PCM): less is not audio. */
const MIN_PCM_BYTES = PCM_BYTES_PER_SECOND / 10;

/** Reads the rest of an upload after `head`, refusing it (VOICE_TOO_LARGE) as soon as it passes `maxBytes`. */
async function readRest(it: AsyncIterator<Uint8Array>, head: Buffer[], maxBytes: number): Promise<Buffer> {
  let total = head.reduce((n, b) => n + b.length, 0);
  for (;;) {
    if (total > maxBytes) throw voiceErrors.create('VOICE_TOO_LARGE', `Audio larger than ${maxBytes} bytes`);
    const next = await it.next();
    if (next.done) return Buffer.concat(head);
    head.push(Buffer.from(next.value));
    total += next.value.length;
  }
}

/** Reads a whole upload, refusing it as soon as it passes `maxBytes`. */
export function readUpload(source: UploadStream, maxBytes: number): Promise<Buffer> {
  return readRest(source[Symbol.asyncIterator](), [], maxBytes);
}

/** A 16 kHz mono PCM upload whose samples are handed on as they arrive. */
export interface PcmUploadStream {
  /** The duration its header declares (at most the limit): what is charged before it is transcribed. */
  readonly declaredSeconds: number;
  /** The samples as they arrive, never more than the header declared. */
  readonly pcm: AsyncIterable<Buffer>;
  /** How many bytes of samples have arrived so far. */
  received(): number;
}

/**
 * The start of an upload read as it arrives: when it is a 16 kHz mono 16-bit PCM WAV (what the web
 * chat sends) whose declared length fits the limits, its samples stream on as they come in, so a
 * streaming transcriber works while the upload goes on. Anything else is read whole (at most
 * `maxBytes`) and goes the usual way (`decodeUpload`).
 */
export async function openUpload(source: UploadStream, limits: AudioLimits): Promise<PcmUploadStream | { readonly bytes: Buffer }> {
  const it = source[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let headBytes = 0;
  let header: ReturnType<typeof parsePcmWavHeader> = 'more';
  while (header === 'more' && headBytes <= MAX_HEADER_BYTES) {
    const next = await it.next();
    if (next.done) return { bytes: Buffer.concat(head) };
    head.push(Buffer.from(next.value));
    headBytes += next.value.length;
    header = parsePcmWavHeader(head.length === 1 ? head[0]! : Buffer.concat(head));
  }
  const fits =
    header !== undefined &&
    header !== 'more' &&
    header.rate === PCM_RATE &&
    header.channels === 1 &&
    header.dataSize >= MIN_PCM_BYTES &&
    header.dataSize <= limits.maxSeconds * PCM_BYTES_PER_SECOND &&
    header.dataStart + header.dataSize <= limits.maxBytes;
  if (!fits || header === undefined || header === 'more') return { bytes: await readRest(it, head, limits.maxBytes) };
  const { dataStart, dataSize } = header;
  let received = 0;
  async function* samples(): AsyncGenerator<Buffer> {
    // What came with the header, then each chunk as it arrives, cut at the declared size (trailing chunks are not audio).
    let pending: Buffer | undefined = Buffer.concat(head).subarray(dataStart);
    while (received < dataSize) {
      if (!pending) {
        const next = await it.next();
        if (next.done) return;
        pending = Buffer.from(next.value);
      }
      const take = pending.subarray(0, dataSize - received);
      pending = undefined;
      received += take.length;
      if (take.length) yield take;
    }
  }
  return { declaredSeconds: dataSize / PCM_BYTES_PER_SECOND, pcm: samples(), received: () => received };
}

/** 16 kHz mono PCM of at least a tenth of a second and at most the limit, as a WAV. */
function checked(pcm: Buffer, format: AudioFormat, limits: AudioLimits): DecodedAudio {
  if (pcm.length < MIN_PCM_BYTES) throw notDecoded();
  const seconds = pcm.length / PCM_BYTES_PER_SECOND;
  if (seconds > limits.maxSeconds) throw tooLong(limits);
  return { wav: pcmToWav(pcm), seconds, format };
}

export const notDecoded = () => voiceErrors.create('VOICE_NOT_AUDIO', 'The file could not be decoded as audio (damaged or not audio)');

const tooLong = (limits: AudioLimits) => voiceErrors.create('VOICE_TOO_LONG', `Audio longer than ${limits.maxSeconds} seconds`);

/**
 * Re-encodes speech (any container ffmpeg reads, on stdin) into `format`; WAV output gets a correct
 * header. 16-bit PCM WAV asked for as WAV (espeak-ng's, most providers') is only re-headed, in mono
 * at its own rate: no ffmpeg.
 */
export async function encodeSpeech(
  audio: Buffer,
  format: SpeechFormat,
  limits: Pick<AudioLimits, 'timeoutMs' | 'maxBytes'>,
): Promise<Buffer> {
  if (format === 'wav') {
    const pcmWav = parsePcmWav(audio);
    if (pcmWav && pcmWav.pcm.length > 0) return pcmToWav(downmix(pcmWav), pcmWav.rate);
  }
  const args = ['-nostdin', '-v', 'error', '-protocol_whitelist', 'pipe', '-i', 'pipe:0', '-vn', '-ac', '1', ...ENCODE[format], 'pipe:1'];
  const r = await runTool(TOOLS.ffmpeg, args, { timeoutMs: limits.timeoutMs, maxOutputBytes: limits.maxBytes * 4, input: audio });
  if (r.code !== 0 || r.stdout.length === 0) throw voiceErrors.create('VOICE_PROVIDER_FAILED', 'Speech could not be encoded');
  return format === 'wav' ? pcmToWav(r.stdout, SPEECH_WAV_RATE) : r.stdout;
}

/** Speakable text: markdown marks, code blocks and links' URLs taken out, whitespace folded, at most `max` characters. */
export function speakable(text: string, max: number): string {
  const plain = text
    .replace(/```[\s\S]*?```/g, ' (code) ')
    .replace(/`([^`]*)`/g, '$1')
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/https?:\/\/\S+/g, '(link)')
    .replace(/[*_#>~|]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (plain.length <= max) return plain;
  const cut = plain.slice(0, max);
  const end = Math.max(cut.lastIndexOf('. '), cut.lastIndexOf('! '), cut.lastIndexOf('? '));
  return end > max / 2 ? cut.slice(0, end + 1) : cut;
}
